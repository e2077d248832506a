/* Ачык Шаар — the maps' own controls speak the page's language: Leaflet's zoom buttons take
 * their names (title and aria-label) from <html data-zoom-in data-zoom-out>. Loaded right
 * after leaflet.js, before any map is made. */
(function () {
  "use strict";
  var names = document.documentElement.dataset;
  if (!window.L || !names.zoomIn) return;
  L.Control.Zoom.mergeOptions({ zoomInTitle: names.zoomIn, zoomOutTitle: names.zoomOut });
})();
