/* Ачык Шаар — the alert form's area map: the resident draws a polygon (Leaflet.Editable,
 * vendored), posted as a GeoJSON Polygon in the hidden "area" field.
 *
 * Progressive enhancement: without this script the map stays hidden and the typed box
 * (west, south, east, north) is the way to follow an area. A link from the public map
 * (?bbox=…) opens the map on that view. No network but the portal and the tile server. */
(function () {
  "use strict";
  var box = document.getElementById("area-draw");
  var mapEl = document.getElementById("area-map");
  if (!box || !mapEl || !window.L || !L.Editable) return;

  var field = document.getElementById("area");
  var bboxInput = document.getElementById("bbox");
  var statusEl = document.getElementById("area-status");
  var countEl = document.getElementById("area-count");
  var areaScope = document.querySelector("input[name=scope][value=area]");
  box.hidden = false;

  var map = L.map(mapEl, { editable: true, zoomControl: true, attributionControl: true });
  var tiles = L.tileLayer(mapEl.dataset.tileUrl, { maxZoom: 19, attribution: mapEl.dataset.tileAttribution });
  tiles.once("tileerror", function () {
    mapEl.classList.add("tiles-failed");
    statusEl.textContent = mapEl.dataset.tilesFailed;
  });
  tiles.addTo(map);

  // The cities' outlines stay visible when tiles fail, so one can still draw inside them.
  var extents = JSON.parse(mapEl.dataset.extents || "{}");  // slug: [min_lon, min_lat, max_lon, max_lat]
  function cityBounds(slug) {
    var b = extents[slug];
    return b ? L.latLngBounds([b[1], b[0]], [b[3], b[2]]) : null;
  }
  Object.keys(extents).forEach(function (slug) {
    L.rectangle(cityBounds(slug), { color: "#0b6bcb", weight: 2, fillOpacity: 0.04, interactive: false }).addTo(map);
  });
  var citySelect = document.getElementById("city");
  function showCity() {
    var bounds = cityBounds(citySelect && citySelect.value) || cityBounds(Object.keys(extents)[0]);
    if (bounds) map.fitBounds(bounds);
    else map.setView([42.87, 74.6], 11);
  }
  if (citySelect) citySelect.addEventListener("change", function () { if (citySelect.value) showCity(); });

  var polygon = null;

  function corners() {
    return polygon ? polygon.getLatLngs()[0] : [];
  }

  function save() {
    var ring = corners();
    field.value = ring.length >= 3 ? JSON.stringify(polygon.toGeoJSON(6).geometry) : "";
    countEl.textContent = ring.length ? mapEl.dataset.corners.replace("{n}", ring.length) : "";
    if (ring.length && areaScope) areaScope.checked = true;
  }

  function start(latlngs) {
    if (polygon) polygon.remove();
    if (latlngs) {
      polygon = L.polygon(latlngs).addTo(map);
      polygon.enableEdit();
    } else {
      polygon = map.editTools.startPolygon();
    }
    save();
  }

  map.on("editable:drawing:clicked editable:vertex:dragend editable:vertex:deleted editable:editing", save);

  document.getElementById("area-undo").addEventListener("click", function () {
    var ring = corners();
    if (!ring.length) return;
    if (polygon.editor.drawing() && ring.length > 1) polygon.editor.pop();
    else if (ring.length > 1) ring[ring.length - 1].__vertex.delete();
    else start();
    save();
  });
  document.getElementById("area-clear").addEventListener("click", function () { start(); });

  // The view: a polygon sent back with an error, else a box from the map's link, else the cities.
  var drawn = null;
  try {
    drawn = field.value ? JSON.parse(field.value).coordinates[0].map(function (p) { return [p[1], p[0]]; }) : null;
  } catch (e) { drawn = null; }
  var preset = bboxInput && bboxInput.value.split(",").map(Number);
  if (drawn) {
    map.fitBounds(L.latLngBounds(drawn));
    start(drawn.slice(0, -1));
  } else {
    if (preset && preset.length === 4 && preset.every(isFinite)) {
      map.fitBounds([[preset[1], preset[0]], [preset[3], preset[2]]]);
    } else {
      showCity();
    }
    start();
  }
})();
