// js/copy.js: adds a "Copy" button to every code block marked class="copyable".
//
// The "$ " prompts are left out of what gets copied, so a command pastes cleanly
// into a terminal. No network needed: the clipboard is local.

(function () {
  "use strict";

  function textToCopy(pre) {
    var clone = pre.cloneNode(true);
    var skip = clone.querySelectorAll(".prompt, .label");
    for (var i = 0; i < skip.length; i++) {
      skip[i].remove();
    }
    return clone.textContent.replace(/\s+$/, "") + "\n";
  }

  // 127.0.0.1 counts as a secure context, so navigator.clipboard usually works.
  // The fallback selects the text and asks the browser to copy it the old way.
  function copy(text, pre) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    var range = document.createRange();
    range.selectNodeContents(pre.querySelector("code") || pre);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    var ok = document.execCommand && document.execCommand("copy");
    selection.removeAllRanges();
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  // The button sits in a wrapper around the <pre>, so it stays put when a long line scrolls.
  function addButton(pre) {
    var wrapper = document.createElement("div");
    wrapper.className = "code-block";
    pre.parentNode.insertBefore(wrapper, pre);
    wrapper.appendChild(pre);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button";
    button.textContent = "Copy";
    button.addEventListener("click", function () {
      copy(textToCopy(pre), pre).then(
        function () { button.textContent = "Copied"; },
        function () { button.textContent = "Select and copy"; }
      );
      setTimeout(function () { button.textContent = "Copy"; }, 1500);
    });
    wrapper.appendChild(button);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var blocks = document.querySelectorAll("pre.copyable");
    for (var i = 0; i < blocks.length; i++) {
      addButton(blocks[i]);
    }
  });
})();
