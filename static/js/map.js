/* Ачык Шаар — the public map: loads appeals per viewport from /api/v1/map.
 *
 * The page carries no appeal data. On every pan/zoom (debounced) and filter change the
 * map asks the API for the current bounding box and zoom; a newer request aborts the
 * previous one. The filters and the view live in the URL (?filters#zoom/lat/lon) so a
 * view can be shared. Every text from the data is inserted with textContent, never as
 * HTML.
 */
(function () {
  "use strict";

  var app = document.getElementById("map-app");
  if (!app || !window.L) return;
  var config = JSON.parse(app.getAttribute("data-config"));
  var map = (window.portalMaps || {})[config.mapId];
  if (!map) return;

  var form = app.querySelector("form[data-filters]");
  var statusBox = app.querySelector("[data-map-status]");
  var heatToggle = app.querySelector("[data-heat]");
  var layer = L.layerGroup().addTo(map);
  var heatLayer = null;
  var controller = null;
  var heatController = null;
  var timer = null;
  var DEBOUNCE_MS = 250;

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      var value = values[key];
      return typeof value === "number" ? value.toLocaleString(document.documentElement.lang) : String(value);
    });
  }

  function names(kind) {
    var out = {};
    var select = form && form.querySelector('select[data-names="' + kind + '"]');
    if (!select) return out;
    Array.prototype.forEach.call(select.options, function (option) {
      if (option.value) out[option.value] = option.textContent;
    });
    return out;
  }
  var categoryNames = names("category");
  var serviceNames = names("service");

  var dateFormat = new Intl.DateTimeFormat(document.documentElement.lang || "ru", {
    year: "numeric", month: "short", day: "numeric", timeZone: "Asia/Bishkek",
  });
  function day(iso) {
    return iso ? dateFormat.format(new Date(iso)) : "—";
  }

  /* --- URL state --------------------------------------------------------------------- */

  function filterParams() {
    var params = new URLSearchParams();
    if (!form) return params;
    new FormData(form).forEach(function (value, key) {
      if (value !== "") params.append(key, value);
    });
    return params;
  }

  function bboxParam() {
    var b = map.getBounds();
    var clamp = function (v, lo, hi) { return Math.min(Math.max(v, lo), hi); };
    return [
      clamp(b.getWest(), -180, 180).toFixed(6), clamp(b.getSouth(), -90, 90).toFixed(6),
      clamp(b.getEast(), -180, 180).toFixed(6), clamp(b.getNorth(), -90, 90).toFixed(6),
    ].join(",");
  }

  function writeUrl() {
    var c = map.getCenter();
    var query = filterParams().toString();
    var hash = "#" + map.getZoom() + "/" + c.lat.toFixed(5) + "/" + c.lng.toFixed(5);
    history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + hash);
    updateLinks();
  }

  function readHash() {
    var parts = location.hash.replace("#", "").split("/");
    if (parts.length !== 3) return;
    var zoom = parseInt(parts[0], 10), lat = parseFloat(parts[1]), lon = parseFloat(parts[2]);
    if (isFinite(zoom) && isFinite(lat) && isFinite(lon)) map.setView([lat, lon], zoom);
  }

  function updateLinks() {
    var params = filterParams();
    var list = app.querySelector("[data-twin-list]");
    if (list) list.href = config.listUrl + (params.toString() ? "?" + params : "");
    var view = filterParams();
    view.set("bbox", bboxParam());
    var alerts = app.querySelector("[data-alerts]");  // follow the area in view by e-mail
    if (alerts) alerts.href = alerts.getAttribute("href").split("?")[0] + "?bbox=" + bboxParam();
    app.querySelectorAll("[data-download]").forEach(function (link) {
      var base = link.getAttribute("href").split("?")[0];
      link.setAttribute("href", base + "?" + view.toString());
    });
  }

  /* --- drawing ----------------------------------------------------------------------- */

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function fact(list, term, value) {
    list.appendChild(el("dt", null, term));
    list.appendChild(el("dd", null, value));
  }

  function appealEntry(p, onChange) {
    var box = el("div", "popup-appeal");
    var title = el("h3");
    var link = el("a", null, categoryNames[p.category] || p.category);
    link.href = config.appealUrl.replace("ID", encodeURIComponent(p.id));
    title.appendChild(link);
    title.appendChild(document.createTextNode(" "));
    title.appendChild(el("small", null, p.id));
    box.appendChild(title);
    var badges = el("p", "meta");
    badges.appendChild(el("span", "badge m-" + p["class"], config.statuses[p.status] || p.status));
    if (p.overdue) {
      badges.appendChild(document.createTextNode(" "));
      badges.appendChild(el("span", "badge overdue", config.text.overdue));
    }
    box.appendChild(badges);
    var facts = el("dl", "popup-facts");
    fact(facts, config.text.service, serviceNames[p.service] || p.service);
    fact(facts, config.text.submitted, day(p.submitted));
    fact(facts, config.text.due, day(p.due));
    if (p.answered) fact(facts, config.text.answered, day(p.answered));
    if (p.score) fact(facts, config.text.rating, p.score + "/5");
    box.appendChild(facts);
    var text = el("p", "popup-text");
    box.appendChild(text);
    box.appendChild(el("p", "meta", fmt(config.text.precision, { m: p.precision_m || 100 })));
    var open = el("a", "popup-open", config.text.open);
    open.href = link.href;
    box.appendChild(open);
    loadText(p.id, text, onChange);
    return box;
  }

  function loadText(id, target, onChange) {
    fetch(config.apiAppeal.replace("ID", encodeURIComponent(id)), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && data.text) {
          var t = data.text.length > 240 ? data.text.slice(0, 239) + "…" : data.text;
          target.textContent = t;  // text, never HTML
        }
        if (data && data.supporters) {
          target.parentNode.insertBefore(
            el("p", "popup-supporters", fmt(config.text.supporters, { count: data.supporters })),
            target.nextSibling
          );
        }
        if (data && (data.text || data.supporters) && onChange) onChange();
      })
      .catch(function () {});
  }

  function markerIcon(cls, label, count) {
    var html = el("span", "pin m-" + cls);
    if (count > 1) html.appendChild(el("span", "pin-count", count));
    return L.divIcon({ className: "appeal-marker", html: html, iconSize: [22, 22], iconAnchor: [11, 11] });
  }

  function drawPoints(features) {
    var groups = {};
    var order = [];
    features.forEach(function (f) {
      var key = f.geometry.coordinates.join(",");
      if (!groups[key]) { groups[key] = []; order.push(key); }
      groups[key].push(f);
    });
    order.forEach(function (key) {
      var group = groups[key];
      var first = group[0];
      var cls = group.some(function (f) { return f.properties.overdue; }) ? "overdue" : first.properties["class"];
      var c = first.geometry.coordinates;
      var label = group.length > 1
        ? fmt(config.text.sameSpot, { count: group.length })
        : (categoryNames[first.properties.category] || first.properties.category) + " — " +
          (config.classes[cls] || cls);
      var marker = L.marker([c[1], c[0]], {
        icon: markerIcon(cls, label, group.length), title: label, alt: label, keyboard: true,
        key: key + "|" + group.map(function (f) { return f.properties.id; }).join(","),
      });
      var built = null;  // built once: Popup.update() asks for the content again
      marker.bindPopup(function () {
        if (built) return built;
        var box = el("div", "popup");
        built = box;
        if (group.length > 1) box.appendChild(el("p", "popup-head", label));
        var refit = function () {
          var popup = marker.getPopup();
          if (popup && popup.isOpen()) popup.update();  // re-layout and auto-pan to fit
        };
        group.forEach(function (f) { box.appendChild(appealEntry(f.properties, refit)); });
        return box;
      }, { maxWidth: 300, maxHeight: 320 });
      marker.on("add", function () {
        var node = marker.getElement();
        if (node) {
          node.setAttribute("data-appeal-ids", group.map(function (f) { return f.properties.id; }).join(" "));
          node.setAttribute("aria-label", label);
          node.setAttribute("role", "button");
        }
      });
      layer.addLayer(marker);
    });
  }

  function drawClusters(features) {
    features.forEach(function (f) {
      var p = f.properties;
      var c = f.geometry.coordinates;
      var size = p.count < 10 ? 30 : p.count < 100 ? 36 : p.count < 1000 ? 44 : 52;
      var main = Object.keys(p.classes).sort(function (a, b) { return p.classes[b] - p.classes[a]; })[0];
      var overdueShare = (p.classes.overdue || 0) / p.count;
      var html = el("span", "cluster-body" + (overdueShare >= 0.25 ? " cluster-hot" : "") + " m-" + main,
        p.count >= 10000 ? Math.round(p.count / 1000) + "k" : p.count);
      var label = fmt(config.text.cluster, { count: p.count });
      var marker = L.marker([c[1], c[0]], {
        icon: L.divIcon({ className: "appeal-cluster", html: html, iconSize: [size, size] }),
        title: label, alt: label, keyboard: true,
      });
      marker.on("click", function () {
        map.setView([c[1], c[0]], Math.min(map.getZoom() + 2, map.getMaxZoom()));
      });
      marker.on("add", function () {
        var node = marker.getElement();
        if (node) {
          node.setAttribute("aria-label", label);
          node.setAttribute("role", "button");
          node.setAttribute("data-count", p.count);
        }
      });
      layer.addLayer(marker);
    });
  }

  function say(message, busy) {
    statusBox.textContent = message;
    app.setAttribute("aria-busy", busy ? "true" : "false");
  }

  function describe(meta) {
    var parts = [];
    if (meta.mode === "clusters") parts.push(fmt(config.text.clusters, { total: meta.total }));
    else if (meta.total === 0) parts.push(config.text.none);
    else {
      parts.push(fmt(config.text.shown, { shown: meta.shown }));
      if (meta.more > 0) parts.push(fmt(config.text.more, { more: meta.more }));
    }
    if (meta.without_location > 0) parts.push(fmt(config.text.withoutLocation, { count: meta.without_location }));
    return parts.join(" · ");
  }

  /* --- loading ----------------------------------------------------------------------- */

  function requestUrl(kind) {
    var params = filterParams();
    params.set("bbox", bboxParam());
    params.set("zoom", String(map.getZoom()));
    if (kind === "heat") params.set("layer", "heat");
    return config.api + "?" + params.toString();
  }

  function load() {
    if (controller) controller.abort();  // a newer view replaces the pending one
    controller = new AbortController();
    var mine = controller;
    say(config.text.loading, true);
    fetch(requestUrl("appeals"), { signal: mine.signal, headers: { Accept: "application/geo+json" } })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (data) {
        if (mine !== controller) return;
        // A popup's own auto-pan moves the map and reloads it: keep that popup open.
        var openKey = null;
        layer.eachLayer(function (l) { if (l.isPopupOpen && l.isPopupOpen()) openKey = l.options.key; });
        layer.clearLayers();
        if (data.meta.mode === "clusters") drawClusters(data.features);
        else drawPoints(data.features);
        if (openKey) {
          layer.eachLayer(function (l) { if (l.options.key === openKey) l.openPopup(); });
        }
        app.setAttribute("data-mode", data.meta.mode);
        app.setAttribute("data-total", data.meta.total);
        say(describe(data.meta), false);
      })
      .catch(function (error) {
        if (error.name === "AbortError") return;
        say(config.text.failed, false);
      });
    if (heatToggle && heatToggle.checked) loadHeat();
  }

  function loadHeat() {
    if (heatController) heatController.abort();
    heatController = new AbortController();
    var mine = heatController;
    fetch(requestUrl("heat"), { signal: mine.signal })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (data) {
        if (mine !== heatController || !heatToggle.checked) return;  // switched off since
        var max = data.meta.max || 1;
        var points = data.features.map(function (f) {
          var c = f.geometry.coordinates;
          return [c[1], c[0], f.properties.count / max];
        });
        if (heatLayer) map.removeLayer(heatLayer);
        heatLayer = L.heatLayer(points, { radius: 28, blur: 20, max: 1, minOpacity: 0.3 }).addTo(map);
        app.setAttribute("data-heat-cells", data.features.length);
        var note = app.querySelector("[data-heat-note]");
        if (!note) {
          note = el("p", "meta heat-note");
          note.setAttribute("data-heat-note", "");
          heatToggle.parentNode.parentNode.insertBefore(note, heatToggle.parentNode.nextSibling);
        }
        note.textContent = fmt(config.text.heat, { total: data.meta.total, min: data.meta.min_count });
      })
      .catch(function (error) { if (error.name !== "AbortError") say(config.text.failed, false); });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(function () { writeUrl(); load(); }, DEBOUNCE_MS);
  }

  /* --- wiring ------------------------------------------------------------------------ */

  if (form) {
    form.addEventListener("change", schedule);
    form.addEventListener("submit", function (event) {
      event.preventDefault();  // without JavaScript the form reloads the page instead
      schedule();
    });
  }
  if (heatToggle) {
    heatToggle.addEventListener("change", function () {
      if (heatToggle.checked) loadHeat();
      else {
        // A heat request still on its way (e.g. one a filter change sent) must not
        // bring the layer back once it is switched off.
        if (heatController) heatController.abort();
        if (heatLayer) { map.removeLayer(heatLayer); heatLayer = null; }
      }
      var note = app.querySelector("[data-heat-note]");
      if (note && !heatToggle.checked) note.remove();
    });
  }
  map.eachLayer(function (l) {
    if (l instanceof L.TileLayer) {
      l.once("tileerror", function () {
        var note = el("p", "meta tile-note", config.text.tiles);
        var frame = app.querySelector(".map-frame");
        frame.parentNode.insertBefore(note, frame.nextSibling);
      });
    }
  });
  // On a phone the map comes first: fold the filters (unless they report an error).
  var filtersBox = app.querySelector(".filters-box");
  if (filtersBox && !app.querySelector(".form-errors") &&
      window.matchMedia("(max-width: 40rem)").matches) {
    filtersBox.open = false;
  }
  map.on("moveend", schedule);
  readHash();
  schedule();  // one request for the initial view, whatever readHash moved
})();
