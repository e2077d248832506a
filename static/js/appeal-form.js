/* Ачык Шаар — the appeal form: pick the place on a Leaflet map, preview before sending.
 *
 * Progressive enhancement: without this script (or without map tiles) the latitude and
 * longitude fields and the "Preview" button still work. No network access except the
 * portal itself and the configured tile server.
 */
(function () {
  "use strict";
  // Receipt: copy the private tracking link with one tap.
  Array.prototype.forEach.call(document.querySelectorAll("[data-copy]"), function (button) {
    var input = document.getElementById(button.dataset.copy);
    button.hidden = false;
    button.addEventListener("click", function () {
      input.select();
      var done = function () { button.textContent = button.dataset.copied; };
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(input.value).then(done, function () {});
      else if (document.execCommand && document.execCommand("copy")) done();
    });
  });

  var form = document.getElementById("appeal-form");
  if (!form) return;

  var latInput = document.getElementById("lat");
  var lonInput = document.getElementById("lon");
  var citySelect = document.getElementById("city");
  var mapEl = document.getElementById("map");
  var statusEl = document.getElementById("map-status");
  var cities = {};
  try {
    JSON.parse(mapEl.dataset.cities || "[]").forEach(function (c) { cities[c.slug] = c; });
  } catch (e) { /* no extents: the map shows the whole region */ }

  /* ---- map ---------------------------------------------------------------------- */
  var map = null, marker = null, outline = null;
  if (window.L && mapEl) {
    map = L.map(mapEl, { zoomControl: true, attributionControl: true });
    var tiles = L.tileLayer(mapEl.dataset.tileUrl, {
      maxZoom: 19, attribution: mapEl.dataset.tileAttribution
    });
    var tileErrorShown = false;
    tiles.on("tileerror", function () {
      if (tileErrorShown) return;
      tileErrorShown = true;
      mapEl.classList.add("tiles-failed");
      statusEl.textContent = mapEl.dataset.tilesFailed;
    });
    tiles.addTo(map);
    map.on("click", function (e) { setPoint(e.latlng.lat, e.latlng.lng, false); });
    showCity();
    if (latInput.value && lonInput.value) setPoint(parseFloat(latInput.value), parseFloat(lonInput.value), true);
  }

  function cityBounds() {
    var city = cities[citySelect.value];
    if (!city || !city.bbox) {
      var all = Object.keys(cities).map(function (k) { return cities[k].bbox; }).filter(Boolean);
      if (!all.length) return null;
      city = { bbox: [
        Math.min.apply(null, all.map(function (b) { return b[0]; })),
        Math.min.apply(null, all.map(function (b) { return b[1]; })),
        Math.max.apply(null, all.map(function (b) { return b[2]; })),
        Math.max.apply(null, all.map(function (b) { return b[3]; }))
      ] };
    }
    var b = city.bbox; // min_lon, min_lat, max_lon, max_lat
    return L.latLngBounds([b[1], b[0]], [b[3], b[2]]);
  }

  function showCity() {
    if (!map) return;
    var bounds = cityBounds();
    if (!bounds) { map.setView([41.5, 74.5], 6); return; }
    if (outline) map.removeLayer(outline);
    // The city's outline stays visible when tiles fail, so the map remains usable.
    outline = L.rectangle(bounds, { color: "#0b6bcb", weight: 2, fill: true, fillOpacity: 0.04, interactive: false }).addTo(map);
    map.fitBounds(bounds);
  }

  function setPoint(lat, lon, fromInputs) {
    if (!isFinite(lat) || !isFinite(lon)) return;
    if (!fromInputs) {
      latInput.value = lat.toFixed(6);
      lonInput.value = lon.toFixed(6);
    }
    suggestSoon();
    if (!map) return;
    if (marker) marker.setLatLng([lat, lon]);
    else marker = L.marker([lat, lon], { keyboard: false }).addTo(map);
  }

  citySelect.addEventListener("change", showCity);

  /* ---- duplicate suggestions: open appeals of the same category near the point ------ */
  var nearby = document.getElementById("nearby");
  var nearbyList = document.getElementById("nearby-list");
  var nearbyStatus = document.getElementById("nearby-status");
  var categorySelect = document.getElementById("category");
  var csrfInput = form.querySelector("input[name=csrf_token]");
  var suggestTimer = null, suggestSeq = 0;

  function fill(template, key, value) { return template.replace("{" + key + "}", String(value)); }

  function suggestSoon() {
    if (!nearby) return;
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(suggest, 300);
  }

  function suggest() {
    var lat = parseFloat(latInput.value.replace(",", "."));
    var lon = parseFloat(lonInput.value.replace(",", "."));
    if (!citySelect.value || !categorySelect.value || !isFinite(lat) || !isFinite(lon)) {
      nearby.hidden = true;
      return;
    }
    var seq = ++suggestSeq;
    var query = new URLSearchParams({ city: citySelect.value, category: categorySelect.value, lat: lat, lon: lon });
    fetch(nearby.dataset.url + "?" + query.toString(), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { appeals: [] }; })
      .then(function (data) { if (seq === suggestSeq) showSuggestions(data.appeals || []); })
      .catch(function () { /* suggestions are a convenience: the form works without them */ });
  }

  function showSuggestions(appeals) {
    nearbyList.textContent = "";
    nearby.hidden = appeals.length === 0;
    nearbyStatus.textContent = appeals.length ? fill(nearby.dataset.found, "n", appeals.length) : "";
    appeals.forEach(function (appeal) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = appeal.links.html;
      link.textContent = appeal.id;
      link.setAttribute("aria-label", nearby.dataset.open + " " + appeal.id);
      item.appendChild(link);
      if (appeal.text) {
        var text = document.createElement("p");
        text.textContent = appeal.text.length > 200 ? appeal.text.slice(0, 200) + "…" : appeal.text;
        item.appendChild(text);
      }
      var meta = document.createElement("p");
      meta.className = "meta";
      var count = document.createElement("span");
      count.className = "nearby-supporters";
      count.textContent = fill(nearby.dataset.supporters, "n", appeal.supporters);
      meta.appendChild(document.createTextNode(fill(nearby.dataset.distance, "m", appeal.distance_m) + " · "));
      meta.appendChild(count);
      item.appendChild(meta);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "join";
      button.textContent = nearby.dataset.join;
      button.setAttribute("aria-describedby", "nearby-title");
      button.addEventListener("click", function () { join(appeal, item, button, count); });
      item.appendChild(button);
      nearbyList.appendChild(item);
    });
  }

  function join(appeal, item, button, count) {
    button.disabled = true;
    var body = new URLSearchParams({ csrf_token: csrfInput ? csrfInput.value : "" });
    fetch(appeal.links.support, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return fetch(appeal.links.json, { headers: { Accept: "application/json" } });
      })
      .then(function (r) { return r.json(); })
      .then(function (fresh) {
        count.textContent = fill(nearby.dataset.supporters, "n", fresh.supporters);
        var done = document.createElement("p");
        done.className = "joined";
        done.textContent = nearby.dataset.joined;
        item.replaceChild(done, button);
        nearbyStatus.textContent = nearby.dataset.joined;
      })
      .catch(function () {
        button.disabled = false;
        nearbyStatus.textContent = nearby.dataset.joinFailed;
      });
  }

  citySelect.addEventListener("change", suggestSoon);
  if (categorySelect) categorySelect.addEventListener("change", suggestSoon);
  suggestSoon(); // a form shown again with its values
  [latInput, lonInput].forEach(function (input) {
    input.addEventListener("change", function () {
      setPoint(parseFloat(latInput.value.replace(",", ".")), parseFloat(lonInput.value.replace(",", ".")), true);
    });
  });

  /* ---- photos: size and count checked before anything is uploaded ------------------ */
  var photosInput = document.getElementById("photos");
  var photosCheck = document.getElementById("photos-check");

  function photoProblems() {
    var problems = [];
    var files = photosInput ? Array.prototype.slice.call(photosInput.files || []) : [];
    var maxBytes = parseInt(photosInput && photosInput.dataset.maxBytes, 10);
    var maxCount = parseInt(photosInput && photosInput.dataset.maxCount, 10);
    if (maxCount && files.length > maxCount) problems.push(photosInput.dataset.tooMany);
    files.forEach(function (file) {
      if (maxBytes && file.size > maxBytes) problems.push(photosInput.dataset.tooLarge.replace("{name}", file.name));
    });
    return problems;
  }

  function showPhotoProblems() {
    if (!photosInput || !photosCheck) return true;
    var problems = photoProblems();
    photosCheck.textContent = "";
    problems.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      photosCheck.appendChild(item);
    });
    photosCheck.hidden = !problems.length;
    var described = (photosInput.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
      return id && id !== "photos-check";
    });
    if (problems.length) {
      described.push("photos-check");
      photosInput.setAttribute("aria-invalid", "true");
    } else {
      photosInput.removeAttribute("aria-invalid");
    }
    photosInput.setAttribute("aria-describedby", described.join(" "));
    return !problems.length;
  }

  if (photosInput) photosInput.addEventListener("change", showPhotoProblems);

  /* ---- preview before sending ------------------------------------------------------ */
  var previewBox = document.getElementById("preview");
  var previewText = document.getElementById("preview-text");
  var description = document.getElementById("description");
  var previewed = !previewBox.hidden;

  function showPreview() {
    var data = new FormData();
    data.append("description", description.value);
    var token = form.querySelector("input[name=csrf_token]");
    if (token) data.append("csrf_token", token.value);
    return fetch(form.dataset.previewUrl, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }).then(function (result) {
      previewText.textContent = result.text;
      document.getElementById("preview-note-scrubbed").hidden = !result.scrubbed;
      document.getElementById("preview-note-raw").hidden = result.scrubbed;
    }).catch(function () {
      previewText.textContent = description.value;
      document.getElementById("preview-note-scrubbed").hidden = true;
      document.getElementById("preview-note-raw").hidden = false;
    }).then(function () {
      previewBox.hidden = false;
      previewed = true;
      sendButton.textContent = sendButton.dataset.labelConfirm;
      previewBox.scrollIntoView({ behavior: "smooth", block: "start" });
      sendButton.focus();
    });
  }

  // One button sends: the first press shows what will be published, the next one sends.
  var sendButton = document.getElementById("send");
  description.addEventListener("input", function () {
    previewed = false;
    previewBox.hidden = true;
    sendButton.textContent = sendButton.dataset.labelSend;
  });
  document.getElementById("preview-button").addEventListener("click", function (e) {
    e.preventDefault();
    showPreview();
  });
  form.addEventListener("submit", function (e) {
    var submitter = e.submitter;
    if (submitter && submitter.id === "preview-button") return;
    if (!showPhotoProblems()) {
      e.preventDefault();
      photosInput.focus();
      return;
    }
    if (!previewed) {
      e.preventDefault();
      showPreview();
    }
  });
})();
