// Draws the owners' figures with Apache ECharts from the JSON block #figures-data:
// [{id, kind: "bar" | "stacked" | "pie", categories: [...], series: [{name, values}], unit?}].
// The tables under the charts hold the same numbers, so the charts are hidden from screen readers.
// Tooltips render inside the canvas (richText): no inline styles, which the CSP forbids.
(function () {
  'use strict';
  var block = document.getElementById('figures-data');
  if (!block || !window.echarts) { return; }
  var COLORS = ['#1f5fa8', '#d9822b', '#2e7d4f', '#8a3ffc', '#6b6b6b'];
  var charts = [];
  var TEXT = { fontSize: 14, color: '#1b1b1b' };

  function german(value) { return Number(value).toLocaleString('de-DE'); }

  function axisOptions(spec) {
    var stacked = spec.kind === 'stacked';
    return {
      color: COLORS,
      animation: false,
      textStyle: TEXT,
      grid: { left: 56, right: 16, top: 48, bottom: 40 },
      legend: { top: 0 },
      tooltip: { trigger: 'axis', renderMode: 'richText' },
      xAxis: { type: 'category', data: spec.categories },
      yAxis: { type: 'value', name: spec.unit || '', minInterval: spec.unit ? 0 : 1,
               axisLabel: { formatter: german } },
      series: spec.series.map(function (s) {
        return { name: s.name, type: 'bar', stack: stacked ? 'total' : undefined, data: s.values };
      })
    };
  }

  function pieOptions(spec) {
    var s = spec.series[0];
    return {
      color: COLORS,
      animation: false,
      textStyle: TEXT,
      legend: { top: 0 },
      tooltip: { trigger: 'item', renderMode: 'richText' },
      series: [{
        name: s.name, type: 'pie', radius: ['35%', '65%'], top: 24,
        label: { formatter: function (p) { return p.name + ': ' + german(p.value) + ' (' + german(p.percent) + ' %)'; } },
        data: spec.categories.map(function (name, i) { return { name: name, value: s.values[i] }; })
      }]
    };
  }

  JSON.parse(block.textContent).forEach(function (spec) {
    var node = document.getElementById(spec.id);
    if (!node) { return; }
    var chart = window.echarts.init(node, null, { renderer: 'canvas', locale: 'EN' });
    chart.setOption(spec.kind === 'pie' ? pieOptions(spec) : axisOptions(spec));
    node.setAttribute('data-drawn', 'true');
    charts.push(chart);
  });
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
}());
