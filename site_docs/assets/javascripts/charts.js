// Interactive charts on request. Each chart is shown as its static SVG (drawn at build time);
// Vega (bundled and served by this site, about 300 KB compressed) is fetched only when a reader
// asks for a chart's interactive version: its button, or hovering or focusing the chart. Only
// pages with such a chart load this script (templates/theme/main.html). An interactive chart
// follows Material's light/dark palette; if anything fails, the static drawing stays.
(function () {
  "use strict";

  var script = document.currentScript;
  var vega = null; // the promise of the bundle, once asked for

  function scheme() {
    return document.body.getAttribute("data-md-color-scheme") === "slate" ? "dark" : "light";
  }

  function loadVega() {
    if (!vega) {
      vega = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = script.dataset.vega;
        tag.onload = function () { resolve(window.vegaEmbed); };
        tag.onerror = function () { reject(new Error("could not load " + tag.src)); };
        document.head.appendChild(tag);
      });
    }
    return vega;
  }

  function render(figure) {
    var view = figure.querySelector(".aw-chart__view");
    var button = figure.querySelector(".aw-chart__interact");
    var url = new URL(view.dataset.spec, document.baseURI).href;
    var spec = view._spec ? Promise.resolve(view._spec) : fetch(url).then(function (r) {
      if (!r.ok) throw new Error(r.status + " " + url);
      return r.json();
    });
    if (button) { button.disabled = true; button.textContent = "Loading the interactive chart…"; }
    return Promise.all([loadVega(), spec]).then(function (both) {
      view._spec = both[1];
      var target = view.querySelector(".aw-chart__live");
      if (!target) {
        target = document.createElement("div");
        target.className = "aw-chart__live";
        target.setAttribute("role", "img");
        target.setAttribute("aria-label", view.querySelector("img").alt);
        view.appendChild(target);
      }
      var options = { actions: false, renderer: "svg", tooltip: true };
      if (scheme() === "dark") options.theme = "dark";
      return both[0](target, view._spec, options);
    }).then(function (result) {
      if (view._view) view._view.finalize();
      view._view = result.view;
      view.classList.add("aw-chart__view--ready");
      if (button) button.remove();
    }).catch(function (err) {
      console.warn("chart: keeping the static drawing:", err);
      if (button) { button.disabled = false; button.textContent = "Explore: interactive chart"; }
    });
  }

  function ask(figure) {
    if (!figure._asked) figure._asked = render(figure);
    return figure._asked;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var figures = document.querySelectorAll(".aw-chart");
    figures.forEach(function (figure) {
      var button = figure.querySelector(".aw-chart__interact");
      if (!button || !figure.querySelector(".aw-chart__view[data-spec]")) return;
      button.hidden = false;
      button.addEventListener("click", function () { ask(figure); });
      // A mouse resting on the chart asks too (a phone has the button).
      figure.querySelector(".aw-chart__view").addEventListener("pointerenter", function (e) {
        if (e.pointerType === "mouse") ask(figure);
      });
    });
    // Re-render the interactive charts in the new palette when the reader toggles it.
    new MutationObserver(function () {
      figures.forEach(function (figure) { if (figure._asked) figure._asked.then(function () { render(figure); }); });
    }).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });
  });
})();
