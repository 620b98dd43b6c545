// app.js: a small script that every page of the demo site loads.
//
// It needs no network: it only reads the page and the browser's clock.
// If the current page is not highlighted in the menu, this file did not arrive:
// check that your server answers /app.js with a JavaScript Content-Type.

(function () {
  "use strict";

  // "/about", "/about.html" and "/about/" are the same page; so are "/" and "/index.html".
  function normalise(path) {
    path = path.replace(/\.html$/, "").replace(/\/+$/, "");
    if (path === "" || path === "/index") {
      return "/";
    }
    return path;
  }

  function markCurrentNavItem() {
    var here = normalise(window.location.pathname);
    var links = document.querySelectorAll(".site-nav a");
    for (var i = 0; i < links.length; i++) {
      var target = normalise(new URL(links[i].href).pathname);
      if (target === here) {
        links[i].setAttribute("aria-current", "page");
      }
    }
  }

  function twoDigits(n) {
    return (n < 10 ? "0" : "") + n;
  }

  // Shows when the page loaded and, where the browser tells us, how long the server took
  // to send its first byte: a fun number to compare between the reference servers.
  function showLoadTime() {
    var slot = document.querySelector("[data-page-clock]");
    if (!slot) {
      return;
    }
    var now = new Date();
    var text = "Page loaded at " + twoDigits(now.getHours()) + ":" +
      twoDigits(now.getMinutes()) + ":" + twoDigits(now.getSeconds());
    var entries = window.performance && performance.getEntriesByType
      ? performance.getEntriesByType("navigation")
      : [];
    if (entries.length && entries[0].responseStart > 0) {
      var waited = Math.max(0, entries[0].responseStart - entries[0].requestStart);
      text += " \u00b7 first byte in " + waited.toFixed(1) + " ms";
    }
    slot.textContent = text;
  }

  document.addEventListener("DOMContentLoaded", function () {
    markCurrentNavItem();
    showLoadTime();
  });
})();
