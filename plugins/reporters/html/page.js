// The html reporter's page script: draws each test's timeline with Chart.js from the data
// block the reporter wrote next to its canvas. One chart per test and one time axis for
// everything: outcomes, innocent latency, processes and memory are panels stacked on that
// axis, the phases are shaded and every exit is marked across all of them, so that an exit
// lines up with the failures it caused. Hovering a moment shows every panel's value there.
// Nothing is computed here that the document does not hold; values are only placed.
(function () {
  'use strict';
  if (typeof Chart === 'undefined') return;

  var phaseFill = {
    baseline: 'rgba(60,100,190,0.10)',
    fault: 'rgba(200,40,40,0.10)',
    recovery: 'rgba(40,150,60,0.10)'
  };
  var colours = {
    innocentOk: '#4a9a4a', innocentBad: '#d33', misOk: '#9aa7b8', misBad: '#e08a1e',
    p50: '#8a6fc0', p99: '#5b2d91', processes: '#a65f00', rss: '#2f62c9', exit: '#c00',
    event: '#00838f'
  };

  // For every visible dataset, its value at the pointer's time: the bucket it falls in, or
  // the nearest sample. A tooltip then holds what every panel shows at that moment, wherever
  // the pointer is vertically.
  Chart.Interaction.modes.labourTime = function (chart, event) {
    var pos = Chart.helpers.getRelativePosition(event, chart);
    var x = chart.scales.x, t = x.getValueForPixel(pos.x), items = [];
    chart.data.datasets.forEach(function (ds, i) {
      if (!chart.isDatasetVisible(i)) return;
      var meta = chart.getDatasetMeta(i), best = -1;
      if (ds.labourBuckets) {
        best = Math.floor(t / ds.labourStep);
        if (best < 0 || best >= ds.data.length - 1) best = -1;  // the last point only closes the area
      } else {
        var reach = Math.max(6, Math.abs(x.getPixelForValue(ds.labourStep || 0) - x.getPixelForValue(0)) / 2 + 1);
        var distance = Infinity;
        meta.data.forEach(function (element, j) {
          if (ds.data[j].y === null) return;
          var d = Math.abs(element.x - pos.x);
          if (d < distance) { distance = d; best = j; }
        });
        if (distance > reach) best = -1;
      }
      if (best >= 0) items.push({element: meta.data[best], datasetIndex: i, index: best});
    });
    return items;
  };

  function phaseAt(phases, t) {
    for (var i = 0; i < phases.length; i++)
      if (t >= phases[i].start && t < phases[i].end) return phases[i].name;
    return '';
  }

  // Phases shaded behind every panel and named above the chart; outages as a red band at
  // the top of the outcomes panel; exits as dashed lines through every panel; lifecycle
  // events as solid teal lines, named at the top.
  var overlays = {
    id: 'labourOverlays',
    beforeDatasetsDraw: function (chart, args, d) {
      var x = chart.scales.x, area = chart.chartArea, ctx = chart.ctx;
      ctx.save();
      ctx.font = '11px system-ui, sans-serif';
      ctx.textAlign = 'center';
      d.phases.forEach(function (p) {
        var x0 = x.getPixelForValue(p.start), x1 = x.getPixelForValue(p.end);
        ctx.fillStyle = phaseFill[p.name] || 'rgba(0,0,0,0.06)';
        ctx.fillRect(x0, area.top, Math.max(x1 - x0, 1), area.bottom - area.top);
        ctx.fillStyle = '#555';
        if (ctx.measureText(p.name).width < x1 - x0 - 4) ctx.fillText(p.name, (x0 + x1) / 2, area.top + 11);
      });
      var outcomes = chart.scales.outcomes;
      ctx.fillStyle = 'rgba(200,0,0,0.55)';
      d.outages.forEach(function (o) {
        var x0 = x.getPixelForValue(o.start), x1 = x.getPixelForValue(o.end);
        ctx.fillRect(x0, outcomes.top + 14, Math.max(x1 - x0, 2), 4);
      });
      ctx.restore();
    },
    afterDatasetsDraw: function (chart, args, d) {
      var x = chart.scales.x, area = chart.chartArea, ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = colours.exit;
      ctx.lineWidth = 1.5;
      ctx.setLineDash([4, 3]);
      d.exits.forEach(function (e) {
        var px = x.getPixelForValue(e.t);
        ctx.beginPath();
        ctx.moveTo(px, area.top);
        ctx.lineTo(px, area.bottom);
        ctx.stroke();
      });
      ctx.setLineDash([]);
      ctx.strokeStyle = ctx.fillStyle = colours.event;
      ctx.lineWidth = 2;
      ctx.font = '11px system-ui, sans-serif';
      ctx.textAlign = 'left';
      (d.events || []).forEach(function (e) {
        var px = x.getPixelForValue(e.t);
        ctx.beginPath();
        ctx.moveTo(px, area.top);
        ctx.lineTo(px, area.bottom);
        ctx.stroke();
        ctx.fillText(e.label, px + 3, area.top + 24);
      });
      ctx.restore();
    }
  };

  function points(ts, values, scale) {
    var out = [];
    for (var i = 0; i < ts.length && i < values.length; i++)
      out.push({x: ts[i], y: values[i] === null ? null : values[i] * (scale || 1)});
    return out;
  }

  function panel(title, weight, extra) {
    var axis = {
      type: 'linear', position: 'left', stack: 'panels', stackWeight: weight, offset: true,
      beginAtZero: true, title: {display: true, text: title}, ticks: {maxTicksLimit: 4}
    };
    for (var k in extra) axis[k] = extra[k];
    return axis;
  }

  function draw(canvas, d) {
    var b = d.buckets, m = d.monitor, step = d.bucket_s;
    // Outcomes as stacked step areas, each bucket's count over its whole width; one closing
    // point at the end of the last bucket.
    var centres = b.t.map(function (t) { return t + step / 2; });
    var area = function (label, values, colour, first) {
      var data = points(b.t, values);
      if (data.length) data.push({x: data[data.length - 1].x + step, y: data[data.length - 1].y});
      return {type: 'line', label: label, data: data, backgroundColor: colour, borderColor: colour, borderWidth: 0,
              pointRadius: 0, pointHoverRadius: 0, stepped: 'after', fill: first ? 'origin' : '-1', yAxisID: 'outcomes',
              stack: 'outcomes', labourStep: step, labourBuckets: true, labourUnit: ' requests'};
    };
    var line = function (label, data, colour, axis, unit, extra) {
      var ds = {type: 'line', label: label, data: data, borderColor: colour, backgroundColor: colour, yAxisID: axis,
                borderWidth: 1.5, pointRadius: data.length > 60 ? 0 : 2, pointHoverRadius: 4, spanGaps: false,
                labourUnit: unit};
      for (var k in extra) ds[k] = extra[k];
      return ds;
    };
    var datasets = [
      area('innocent answered', b.innocent_expected, colours.innocentOk, true),
      area('innocent failed', b.innocent_unexpected, colours.innocentBad),
      area('misbehaving as expected', b.misbehaving_expected, colours.misOk),
      area('misbehaving unexpected', b.misbehaving_unexpected, colours.misBad),
      line('innocent p50', points(centres, b.p50_ms), colours.p50, 'latency', ' ms',
           {borderDash: [5, 3], labourStep: step, pointRadius: 1.5}),
      line('innocent p99', points(centres, b.p99_ms), colours.p99, 'latency', ' ms', {labourStep: step, pointRadius: 1.5})
    ];
    if (m) {
      datasets.push(line('processes', points(m.t, m.processes), colours.processes, 'processes', '',
                         {stepped: true, labourStep: m.interval_s}));
      datasets.push(line('RSS', points(m.t, m.rss_mib), colours.rss, 'rss', ' MiB', {labourStep: m.interval_s}));
      datasets.push({type: 'scatter', label: 'exit', yAxisID: 'processes', backgroundColor: colours.exit,
                     borderColor: colours.exit, pointStyle: 'triangle', pointRadius: 6, rotation: 180,
                     data: d.exits.map(function (e) { return {x: e.t, y: m.processes_top, cause: e.cause}; })});
    }
    var scales = {
      x: {type: 'linear', min: 0, max: d.t_max, stacked: true,
          title: {display: true, text: 'seconds since the test started (requests by send time)'},
          ticks: {callback: function (v) { return v + ' s'; }}},
      // Listed top panel last: Chart.js stacks a stack's axes from the bottom up.
      rss: panel('RSS MiB', 1.2, {}),
      processes: panel('processes', 1.2, {ticks: {precision: 0, maxTicksLimit: 4},
                                          suggestedMax: m ? m.processes_top : 1}),
      latency: panel('innocent ms', 2, {type: 'logarithmic', beginAtZero: false}),
      outcomes: panel('requests per ' + d.bucket_label, 3, {stacked: true, grace: '20%'})
    };
    if (!m) { delete scales.rss; delete scales.processes; }
    var chart = new Chart(canvas, {
      data: {datasets: datasets},
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        layout: {padding: {top: 16}},
        interaction: {mode: 'labourTime', intersect: false},
        plugins: {
          labourOverlays: d,
          legend: {position: 'top', labels: {boxWidth: 12, font: {size: 11}}},
          tooltip: {
            callbacks: {
              title: function (items) {
                if (!items.length) return '';
                var t = items[0].parsed.x, phase = phaseAt(d.phases, t);
                return t.toFixed(2) + ' s' + (phase ? ' (' + phase + ')' : '');
              },
              label: function (item) {
                var ds = item.dataset, raw = item.raw;
                if (raw.cause) return 'exit: ' + raw.cause;
                var v = item.parsed.y;
                var text = Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(2);
                return ds.label + ': ' + text + (ds.labourUnit || '');
              }
            }
          }
        },
        scales: scales
      },
      plugins: [overlays]
    });
    canvas.setAttribute('data-rendered', String(chart.data.datasets.length));
  }

  var blocks = document.querySelectorAll('script.chart-data');
  for (var i = 0; i < blocks.length; i++) {
    var canvas = document.getElementById(blocks[i].getAttribute('data-canvas'));
    if (!canvas) continue;
    try {
      draw(canvas, JSON.parse(blocks[i].textContent));
    } catch (err) {
      canvas.setAttribute('data-error', String(err));
      var note = document.createElement('p');
      note.className = 'note';
      note.textContent = 'the chart could not be drawn: ' + err;
      canvas.parentNode.parentNode.insertBefore(note, canvas.parentNode);
    }
  }
})();
