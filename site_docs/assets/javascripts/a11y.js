// Keyboard access for tables wider than the screen: Material wraps each table in a scrolling
// box; make that box focusable and name it after the section it is in (axe-core rule
// scrollable-region-focusable), so it can be scrolled with the arrow keys.
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

  function fix() {
    document.querySelectorAll(".md-typeset__scrollwrap:not([tabindex])").forEach(function (wrap) {
      wrap.setAttribute("tabindex", "0");
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", label(wrap) + " (table, scrolls sideways)");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    fix();
    new MutationObserver(fix).observe(document.body, { childList: true, subtree: true });
  });
})();
