/* The exact point (red) and the published one with its precision (blue); the
   coordinates above stay readable when tiles or the script fail to load. */
(function () {
  var box = document.getElementById("moderation-map");
  if (!box || !window.L) { return; }
  var pair = function (text) { return text.split(",").map(Number); };
  var exact = pair(box.dataset.exact);
  var map = L.map(box, { scrollWheelZoom: false }).setView(exact, 16);
  L.tileLayer(box.dataset.tileUrl, { attribution: box.dataset.tileAttribution, maxZoom: 19 }).addTo(map);
  var shapes = [L.circleMarker(exact, { radius: 6, color: "#b71c1c" }).bindTooltip(box.dataset.exactLabel)];
  if (box.dataset.masked) {
    var masked = pair(box.dataset.masked);
    shapes.push(L.circle(masked, { radius: Number(box.dataset.precision), color: "#1565c0" }).bindTooltip(box.dataset.maskedLabel));
    shapes.push(L.circleMarker(masked, { radius: 4, color: "#1565c0" }));
  }
  var group = L.featureGroup(shapes).addTo(map);
  map.fitBounds(group.getBounds().pad(0.3), { maxZoom: 17 });
})();
