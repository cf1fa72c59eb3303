// Evaluation report: draws the radar of dimensions, the bars against peers and the trend from
// the JSON the page carries (#report-data). The tables on the page hold the same numbers.
(function () {
  "use strict";
  var source = document.getElementById("report-data");
  if (!source || typeof window.echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var palette = ["#b3261e", "#0a58ca", "#146c43"];

  function draw(id, option) {
    var element = document.getElementById(id);
    if (!element) return;
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  var dimensions = data.radar.indicators;
  if (data.radar.kind === "radar" && data.radar.series.length) {
    draw("radar-chart", {
      color: palette,
      animation: false,
      legend: { top: 0 },
      tooltip: {},
      radar: { indicator: data.radar.indicators, radius: "60%" },
      series: [{
        type: "radar",
        data: data.radar.series.map(function (s) { return { name: s.name, value: s.data }; }),
      }],
    });
  } else if (dimensions.length && data.radar.series.length) {
    // Too few dimensions scored by every source for a radar (the page decides).
    draw("radar-chart", {
      color: palette,
      animation: false,
      legend: { top: 0 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 16, top: 40, bottom: 24, containLabel: true },
      xAxis: { type: "category", data: dimensions.map(function (d) { return d.name; }) },
      yAxis: { type: "value", min: 0, max: 100 },
      series: data.radar.series.map(function (s) { return { name: s.name, type: "bar", data: s.data }; }),
    });
  }
  draw("peers-chart", {
    color: palette,
    animation: false,
    legend: { top: 0 },
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    grid: { left: 8, right: 16, top: 40, bottom: 24, containLabel: true },
    xAxis: { type: "category", data: data.peers.categories, axisLabel: { interval: 0, rotate: 30 } },
    yAxis: { type: "value", min: 0, max: 100 },
    series: data.peers.series.map(function (s) { return { name: s.name, type: "bar", data: s.data }; }),
  });
  if (data.trend.categories.length > 1) {
    draw("trend-chart", {
      color: palette,
      animation: false,
      tooltip: { trigger: "axis" },
      grid: { left: 8, right: 16, top: 24, bottom: 24, containLabel: true },
      // Every round named, slanted: left to itself ECharts drops labels that would overlap.
      xAxis: { type: "category", data: data.trend.categories, axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "value", min: 0, max: 100 },
      series: data.trend.series.map(function (s) { return { name: s.name, type: "line", data: s.data }; }),
    });
  }
})();
