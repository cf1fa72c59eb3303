// Obstruction page: draws the sankey of case movements from the JSON the page carries
// (#obstruction-data). Every number and label comes from the server; nothing is computed here.
(function () {
  "use strict";
  var source = document.getElementById("obstruction-data");
  var element = document.getElementById("obstruction-chart");
  if (!source || !element || typeof window.echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  if (!data.sankey.links.length) {
    element.style.height = "auto";
    element.textContent = data.empty;
    return;
  }
  var chart = window.echarts.init(element, null, { renderer: "svg" });
  chart.setOption({
    animation: false,
    tooltip: { trigger: "item" },
    series: [
      {
        type: "sankey",
        data: data.sankey.nodes,
        links: data.sankey.links,
        emphasis: { focus: "adjacency" },
        lineStyle: { color: "gradient", curveness: 0.5 },
      },
    ],
  });
  window.addEventListener("resize", function () {
    chart.resize();
  });
})();
