// Draw the dashboard charts from the JSON the server embeds; the tables under each chart hold the same numbers.
(function () {
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const colors = ["#b02a37", "#198754", "#6f42c1"];

  function targetLines(count) {
    return data.targets.map((target, index) => ({
      type: "line",
      label: target.label,
      data: Array(count).fill(target.value),
      borderColor: colors[index % colors.length],
      borderDash: [6, 4],
      pointRadius: 0,
      fill: false,
    }));
  }

  function draw(id, kind, series) {
    const canvas = document.getElementById(id);
    if (!canvas || typeof Chart === "undefined") {
      return;
    }
    new Chart(canvas, {
      type: kind,
      data: {
        labels: series.labels,
        datasets: [{ type: kind, label: data.rate, data: series.values, backgroundColor: "#0d6efd88", borderColor: "#0d6efd" }]
          .concat(targetLines(series.labels.length)),
      },
      options: { animation: false, maintainAspectRatio: false, scales: { y: { suggestedMin: 80, max: 100 } } },
    });
  }

  draw("chart-agencies", "bar", data.agencies);
  draw("chart-upts", "bar", data.upts);
  draw("chart-months", "line", data.months);
  draw("chart-years", "line", data.years);
})();
