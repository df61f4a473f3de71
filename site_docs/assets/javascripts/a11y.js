// Keyboard access for tables wider than the screen: Material wraps each table in a scrolling
// box; make that box focusable and name it after the section it is in (axe-core rule
// scrollable-region-focusable), so it can be scrolled with the arrow keys. Loaded only on
// pages with a table (templates/theme/main.html); it stops watching once every table is done.
(function () {
  "use strict";

  function label(wrap) {
    var node = wrap;
    while (node && node.previousElementSibling === null) node = node.parentElement;
    for (node = node && node.previousElementSibling; node; node = node.previousElementSibling) {
      if (/^H[1-6]$/.test(node.tagName)) return node.textContent.replace("¶", "").trim();
    }
    return "Table";
  }

  // True once every content table is wrapped and its box labelled.
  function fix() {
    document.querySelectorAll(".md-typeset__scrollwrap:not([tabindex])").forEach(function (wrap) {
      wrap.setAttribute("tabindex", "0");
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", label(wrap) + " (table, scrolls sideways)");
    });
    var tables = document.querySelectorAll(".md-typeset table:not([class])").length;
    return document.querySelectorAll(".md-typeset__scrollwrap[tabindex]").length >= tables;
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (fix()) return;
    var observer = new MutationObserver(function () { if (fix()) observer.disconnect(); });
    var content = document.querySelector(".md-content") || document.body;
    observer.observe(content, { childList: true, subtree: true });
  });
})();
