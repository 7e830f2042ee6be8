// Draws every chart of a page: each [data-figure] element names a <script type="application/json"> holding a
// Plotly figure built on the server. Data is only ever parsed as JSON and handed to Plotly, never to innerHTML.
(function () {
  "use strict";

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-figure"));
    if (!source || !window.Plotly) { return; }
    var fig = JSON.parse(source.textContent);
    var config = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"] };
    window.Plotly.newPlot(el, fig.data, fig.layout, config).then(function () {
      el.setAttribute("data-rendered", "1");
    });
    if (el.hasAttribute("data-clickable")) {
      el.on("plotly_click", function (event) {
        var url = event.points && event.points[0] && event.points[0].customdata;
        // Only same-site paths built by the server (never javascript: or other schemes).
        if (typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/") {
          window.location.assign(url);
        }
      });
    }
  }

  function drawAll() {
    var elements = document.querySelectorAll("[data-figure]");
    for (var i = 0; i < elements.length; i++) { draw(elements[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
