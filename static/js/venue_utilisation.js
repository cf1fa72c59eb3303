// Venue utilisation: draws the two charts from the JSON the page carries (#utilisation-data).
// Every number and label comes from the server; the tables hold the same numbers.
(function () {
  "use strict";
  var source = document.getElementById("utilisation-data");
  if (!source || typeof window.echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var charts = [];

  function value(v) {
    return v === null || v === undefined ? data.noData : v;
  }

  function draw(id, option, height) {
    var element = document.getElementById(id);
    if (!element) return;
    if (height) element.style.height = height + "px";
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    chart.setOption(option);
    charts.push(chart);
  }

  var names = data.venues.categories;
  draw(
    "venue-chart",
    {
      color: ["#0a58ca", "#b3261e"],
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: value },
      legend: { top: 0 },
      grid: { left: 8, right: 24, top: 40, bottom: 24, containLabel: true },
      xAxis: { type: "value", min: 0 },
      yAxis: { type: "category", data: names, inverse: true },
      series: [
        { name: data.venues.rateName, type: "bar", data: data.venues.rate },
        { name: data.venues.medianName, type: "scatter", data: data.venues.median, symbolSize: 10 },
      ],
    },
    Math.max(200, 72 + names.length * 36)
  );

  draw("trend-chart", {
    color: ["#0a58ca", "#146c43"],
    animation: false,
    tooltip: { trigger: "axis", valueFormatter: value },
    legend: { top: 0 },
    grid: { left: 48, right: 48, top: 40, bottom: 32 },
    xAxis: { type: "category", data: data.trend.categories },
    yAxis: [
      { type: "value", min: 0, name: data.trend.rateName },
      { type: "value", min: 0, name: data.trend.activitiesName, minInterval: 1 },
    ],
    series: [
      { name: data.trend.rateName, type: "line", data: data.trend.rate, symbolSize: 6 },
      { name: data.trend.activitiesName, type: "bar", yAxisIndex: 1, data: data.trend.activities },
    ],
  });

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) {
      chart.resize();
    });
  });
})();
