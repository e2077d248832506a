// The language switch keeps the whole address: the server writes path and query into each
// link; the map's view lives in the #fragment, which only the browser knows, so it is added
// at the moment of the click.
document.addEventListener("click", (event) => {
  const link = event.target.closest(".lang-switch a");
  if (link && window.location.hash) {
    link.href = link.href.split("#")[0] + window.location.hash;
  }
});
