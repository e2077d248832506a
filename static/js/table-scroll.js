// Tables wider than the screen scroll inside their box (templates/performance/_macros.html,
// scroll_box): the hint above a box shows only while its table overflows — measured now,
// when the window changes size and when a <details> around it opens. Without this script
// the hint shows on every narrow screen (performance.css).
(function () {
  "use strict";

  function measure() {
    document.querySelectorAll("[data-scroll-hint]").forEach(function (hint) {
      var box = hint.nextElementSibling;
      if (!box || !box.classList.contains("table-scroll")) return;
      var overflows = box.scrollWidth > box.clientWidth + 1;
      hint.toggleAttribute("data-overflows", overflows);
      hint.toggleAttribute("data-fits", !overflows);
    });
  }

  var pending = false;
  function later() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; measure(); });
  }

  measure();
  window.addEventListener("resize", later);
  document.addEventListener("toggle", later, true); // "toggle" does not bubble: capture it
})();
