// Service performance: sortable tables (progressive enhancement; the page works without it).
(function () {
  "use strict";

  function cellValue(row, index, numeric) {
    var cell = row.cells[index];
    if (!cell) return numeric ? -Infinity : "";
    var raw = cell.getAttribute("data-value");
    if (numeric) {
      var number = parseFloat(raw === null ? cell.textContent : raw);
      return isNaN(number) ? -Infinity : number;
    }
    return cell.textContent.trim().toLowerCase();
  }

  function sortBy(table, header, index) {
    var numeric = header.getAttribute("data-sort") === "number";
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("thead th").forEach(function (th) { th.setAttribute("aria-sort", "none"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index, numeric), y = cellValue(b, index, numeric);
      if (x < y) return ascending ? -1 : 1;
      if (x > y) return ascending ? 1 : -1;
      return 0;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("thead th").forEach(function (header, index) {
      header.setAttribute("aria-sort", "none");
      header.tabIndex = 0;
      header.addEventListener("click", function () { sortBy(table, header, index); });
      header.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          sortBy(table, header, index);
        }
      });
    });
  });

  // Hot-spot maps: circles from the map's public heat layer (GET /api/v1/map?layer=heat),
  // drawn in SVG over the city's extent (no tiles, no external request). The heat table
  // next to each map is its text alternative and works without JavaScript.
  var SVG = "http://www.w3.org/2000/svg";
  var WIDTH = 640;

  function projection(bbox) {
    var minLon = bbox[0], minLat = bbox[1], maxLon = bbox[2], maxLat = bbox[3];
    var k = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180);
    var height = Math.round(WIDTH * (maxLat - minLat) / ((maxLon - minLon) * k));
    return {
      height: height,
      x: function (lon) { return (lon - minLon) / (maxLon - minLon) * WIDTH; },
      y: function (lat) { return (maxLat - lat) / (maxLat - minLat) * height; }
    };
  }

  function drawHeat(figure, project) {
    var select = figure.querySelector("[data-category]");
    var cells = figure.querySelector("[data-cells]");
    var status = figure.querySelector("[data-status]");
    var params = new URLSearchParams({
      layer: "heat", zoom: "12", city: figure.dataset.city, category: select.value,
      bbox: figure.dataset.bbox, date_from: figure.dataset.from, date_to: figure.dataset.to
    });
    status.textContent = "…";
    fetch(figure.dataset.heatApi + "?" + params.toString(), { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (data) {
        while (cells.firstChild) cells.removeChild(cells.firstChild);
        var max = (data.meta && data.meta.max) || 1;
        var minCount = parseInt(figure.dataset.minCount, 10) || 5;
        (data.features || []).forEach(function (feature) {
          var count = feature.properties.count;
          if (count < minCount) return;
          var lon = feature.geometry.coordinates[0], lat = feature.geometry.coordinates[1];
          var circle = document.createElementNS(SVG, "circle");
          circle.setAttribute("cx", project.x(lon).toFixed(1));
          circle.setAttribute("cy", project.y(lat).toFixed(1));
          circle.setAttribute("r", (2 + 12 * Math.sqrt(count / max)).toFixed(1));
          circle.setAttribute("class", "hot");
          var title = document.createElementNS(SVG, "title");
          title.textContent = String(count);
          circle.appendChild(title);
          cells.appendChild(circle);
        });
        status.textContent = "";
      })
      .catch(function () {
        status.textContent = "—";
      });
  }

  document.querySelectorAll("figure[data-heat-api]").forEach(function (figure) {
    var bbox = figure.dataset.bbox.split(",").map(parseFloat);
    var project = projection(bbox);
    var svg = figure.querySelector("svg");
    svg.setAttribute("viewBox", "0 0 " + WIDTH + " " + project.height);
    figure.querySelectorAll(".district-label").forEach(function (label) {
      label.setAttribute("x", project.x(parseFloat(label.dataset.lon)).toFixed(1));
      label.setAttribute("y", project.y(parseFloat(label.dataset.lat)).toFixed(1));
    });
    figure.hidden = false;
    figure.querySelector("[data-category]").addEventListener("change", function () {
      drawHeat(figure, project);
    });
    drawHeat(figure, project);
  });

  // Printing: every section collapsed on screen is opened for the paper, and closed again
  // afterwards (the print stylesheet keeps nothing hidden or clipped).
  var openedForPrint = [];
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (details) {
      details.open = true;
      openedForPrint.push(details);
    });
  });
  window.addEventListener("afterprint", function () {
    openedForPrint.forEach(function (details) { details.open = false; });
    openedForPrint = [];
  });
})();
