// Renders every chart container with Vega-Embed (bundled and served by this site), follows
// Material's light/dark palette, and falls back to the static SVG when anything fails.
(function () {
  "use strict";

  function scheme() {
    return document.body.getAttribute("data-md-color-scheme") === "slate" ? "dark" : "light";
  }

  function showFallback(el) {
    if (el.querySelector("img")) return;
    var img = document.createElement("img");
    img.src = el.dataset.fallback;
    img.alt = el.getAttribute("aria-label") || "";
    el.appendChild(img);
  }

  function render(el) {
    if (typeof vegaEmbed !== "function") { showFallback(el); return; }
    var url = new URL(el.dataset.spec, document.baseURI).href;
    var load = el._spec ? Promise.resolve(el._spec) : fetch(url).then(function (r) {
      if (!r.ok) throw new Error(r.status + " " + url);
      return r.json();
    });
    load.then(function (spec) {
      el._spec = spec;
      var options = { actions: false, renderer: "svg", tooltip: true };
      if (scheme() === "dark") options.theme = "dark";
      return vegaEmbed(el, spec, options);
    }).then(function (result) {
      if (el._view) el._view.finalize();
      el._view = result.view;
      el.classList.add("aw-chart__view--ready");
    }).catch(function (err) {
      console.warn("chart fallback:", err);
      showFallback(el);
    });
  }

  function renderAll() {
    document.querySelectorAll(".aw-chart__view[data-spec]").forEach(render);
  }

  document.addEventListener("DOMContentLoaded", function () {
    renderAll();
    // Re-render in the new theme when the reader toggles light/dark.
    new MutationObserver(renderAll).observe(document.body, {
      attributes: true, attributeFilter: ["data-md-color-scheme"]
    });
  });
})();
