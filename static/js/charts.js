/* Draws charts with the vendored Vega-Lite and Plotly under the pages' Content-Security-Policy, which
   has no 'unsafe-eval': Vega evaluates expressions with vega-interpreter (`ast: true`) instead of
   compiling them with `new Function`, and Plotly is its strict bundle.

   Charts.vegaLite(element, spec) and Charts.plotly(element, figure) draw one chart. An element with
   data-chart="vega-lite" or "plotly" and data-chart-spec="<id of a json_script block>" is drawn on load;
   it gets data-drawn="true" once drawn, or the reason it could not be, as text. */
(function () {
  "use strict";

  function vegaLite(element, spec) {
    return vegaEmbed(element, spec, {
      mode: "vega-lite", renderer: "svg", actions: false, ast: true, expr: vega.expressionInterpreter
    });
  }

  // A stored figure's own `config` is ignored: it could point Plotly's links at another site.
  function plotly(element, figure) {
    return Plotly.newPlot(element, figure.data, figure.layout || {}, { responsive: true, displaylogo: false });
  }

  var DRAW = { "vega-lite": vegaLite, plotly: plotly };

  function draw(element) {
    return Promise.resolve()
      .then(function () {
        var spec = JSON.parse(document.getElementById(element.dataset.chartSpec).textContent);
        return DRAW[element.dataset.chart](element, spec);
      })
      .then(function () { element.dataset.drawn = "true"; })
      .catch(function (error) { element.textContent = "The chart could not be drawn: " + error.message; });
  }

  window.Charts = { vegaLite: vegaLite, plotly: plotly };
  Array.prototype.forEach.call(document.querySelectorAll("[data-chart][data-chart-spec]"), draw);
})();
