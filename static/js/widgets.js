// js/widgets.js: lists the requests this page made, using the browser's own timing records.
//
// Nothing is fetched: performance.getEntriesByType() only reads what the browser already
// did. It is the same list the network tab shows, minus the cache and the failures.

(function () {
  "use strict";

  function formatBytes(entry) {
    var size = entry.encodedBodySize || entry.transferSize || 0;
    if (!size) {
      return "cached";
    }
    return size < 1024 ? size + " B" : (size / 1024).toFixed(1) + " KB";
  }

  function shortName(url) {
    var parsed = new URL(url, window.location.href);
    return parsed.origin === window.location.origin ? parsed.pathname + parsed.search : parsed.href;
  }

  function kindOf(entry) {
    if (entry.entryType === "navigation") {
      return "document";
    }
    var path = new URL(entry.name, window.location.href).pathname;
    var match = /\.([a-z0-9]+)$/i.exec(path);
    return match ? match[1].toLowerCase() : entry.initiatorType;
  }

  function cell(row, text, className) {
    var td = document.createElement("td");
    td.textContent = text;
    if (className) {
      td.className = className;
    }
    row.appendChild(td);
  }

  function render() {
    var body = document.querySelector("#request-list tbody");
    var summary = document.querySelector("#request-summary");
    if (!body || !window.performance || !performance.getEntriesByType) {
      return;
    }
    var entries = performance.getEntriesByType("navigation")
      .concat(performance.getEntriesByType("resource"));
    body.textContent = "";
    var total = 0;
    entries.forEach(function (entry, index) {
      var row = document.createElement("tr");
      var kind = kindOf(entry);
      cell(row, String(index + 1), "num");
      cell(row, shortName(entry.name), "path");
      var typeCell = document.createElement("td");
      var pill = document.createElement("span");
      pill.className = "pill pill-" + kind;
      pill.textContent = kind;
      typeCell.appendChild(pill);
      row.appendChild(typeCell);
      cell(row, formatBytes(entry), "num");
      cell(row, entry.duration.toFixed(1) + " ms", "num");
      body.appendChild(row);
      total += entry.encodedBodySize || 0;
    });
    if (summary) {
      summary.textContent = entries.length + " requests, " + (total / 1024).toFixed(1) +
        " KB of bodies, for what looks like one page.";
    }
  }

  window.addEventListener("load", function () {
    // Fonts and late images can finish just after "load": look once more shortly after.
    render();
    setTimeout(render, 400);
    var button = document.querySelector("#recount");
    if (button) {
      button.hidden = false;
      button.addEventListener("click", render);
    }
  });
})();
