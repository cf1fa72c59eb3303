// Case-rate dashboard: draws the two charts from the JSON the page carries (#dashboard-data).
// Every number and label comes from the server; the tables under the charts hold the same
// numbers for anyone who cannot see the charts. Nothing is computed here.
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof window.echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var palette = ["#b3261e", "#0a58ca", "#146c43", "#6f42c1"];
  var charts = [];

  function percent(value) {
    return value === null || value === undefined ? data.noData : value + "%";
  }

  function draw(id, option, height) {
    var element = document.getElementById(id);
    if (!element) return;
    if (height) element.style.height = height + "px";
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    chart.setOption(option);
    charts.push(chart);
  }

  var percentAxis = { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } };

  draw("trend-chart", {
    color: palette,
    animation: false,
    tooltip: { trigger: "axis", valueFormatter: percent },
    legend: { top: 0, type: "scroll" },
    grid: { left: 48, right: 16, top: 40, bottom: 32 },
    xAxis: { type: "category", data: data.trend.categories },
    yAxis: percentAxis,
    series: data.trend.series.map(function (series) {
      return { name: series.name, type: "line", data: series.data, symbolSize: 6 };
    }),
  });

  var units = data.comparison.categories;
  draw(
    "comparison-chart",
    {
      color: palette,
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: percent },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 24, top: 40, bottom: 24, containLabel: true },
      xAxis: percentAxis,
      // Horizontal bars, first unit on top, so long unit names stay readable on a phone.
      yAxis: { type: "category", data: units, inverse: true },
      series: data.comparison.series.map(function (series) {
        return { name: series.name, type: "bar", data: series.data };
      }),
    },
    Math.max(240, 72 + units.length * 64)
  );

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) {
      chart.resize();
    });
  });
})();
