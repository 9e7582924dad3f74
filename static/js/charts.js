// The dashboard's charts: every <canvas class="dashboard-chart" data-chart-url="…"> fetches
// its JSON ({type, labels, datasets}) and is drawn with the vendored Chart.js. No inline
// script, no eval: the page's Content-Security-Policy stays strict. Once a chart has been
// painted, its canvas gets data-chart-state="drawn" (tests and screenshots wait for it);
// a failed fetch leaves data-chart-state="error" and a message beside the canvas.
(function () {
  "use strict";

  var PALETTE = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#dc3545"];

  var markDrawn = {
    id: "markDrawn",
    afterRender: function (chart) {
      chart.canvas.dataset.chartState = "drawn";
    },
  };

  function colour(datasets) {
    datasets.forEach(function (dataset, index) {
      var shade = PALETTE[index % PALETTE.length];
      dataset.backgroundColor = dataset.backgroundColor || shade;
      dataset.borderColor = dataset.borderColor || shade;
    });
    return datasets;
  }

  function draw(canvas) {
    canvas.dataset.chartState = "loading";
    fetch(canvas.dataset.chartUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (chart) {
        // eslint-disable-next-line no-new
        new window.Chart(canvas, {
          type: chart.type || "bar",
          data: { labels: chart.labels, datasets: colour(chart.datasets) },
          options: {
            animation: false,
            responsive: true,
            maintainAspectRatio: false,
            scales: { y: { beginAtZero: true } },
          },
          plugins: [markDrawn],
        });
      })
      .catch(function () {
        canvas.dataset.chartState = "error";
        var message = document.createElement("p");
        message.className = "small text-danger chart-error";
        message.textContent = canvas.dataset.chartError || "The chart could not be loaded.";
        canvas.parentNode.appendChild(message);
      });
  }

  function start() {
    if (!window.Chart) {
      return;
    }
    document.querySelectorAll("canvas.dashboard-chart[data-chart-url]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
