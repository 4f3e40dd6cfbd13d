// flowslo pages: auto-submitting filters and the SLO charts (uPlot).
(function () {
  'use strict';

  document.querySelectorAll('form[data-autosubmit] select').forEach(function (el) {
    el.addEventListener('change', function () { el.form.requestSubmit(); });
  });

  // the release picker opens the release chosen
  // (delegated: the picker may be in a region that refreshes)
  document.addEventListener('change', function (ev) {
    var el = ev.target;
    if (el.matches && el.matches('form[data-release-picker] select') && el.value) {
      window.location.assign('/releases/' + encodeURIComponent(el.value));
    }
  });

  autoRefresh();

  var box = document.getElementById('slo-charts');
  if (box) { sloCharts(box); }

  // Pages with numbers refresh themselves: every data-refresh seconds (30;
  // ?refresh=N overrides) the page is fetched again and each [data-live]
  // region is replaced by its new version, while the tab is visible. The
  // line "updated N s ago" says how fresh the numbers are.
  function autoRefresh() {
    var line = document.getElementById('updated');
    if (!line) { return; }
    var every = parseInt(new URLSearchParams(window.location.search).get('refresh') || line.dataset.refresh || '30', 10);
    every = Math.max(1, every || 30);
    var at = Date.now(), busy = false;
    window.flowsloRefreshes = 0;
    function tick() {
      var s = Math.floor((Date.now() - at) / 1000);
      line.querySelector('.ago').textContent = s + ' s';
      line.dataset.state = document.hidden ? 'paused' : 'live';
      line.querySelector('.paused').hidden = !document.hidden;
      if (!document.hidden && !busy && Date.now() - at >= every * 1000) { refresh(); }
    }
    function refresh() {
      busy = true;
      fetch(window.location.href, { headers: { Accept: 'text/html' }, credentials: 'same-origin' })
        .then(function (r) { if (!r.ok) { throw new Error(r.statusText); } return r.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, 'text/html');
          document.querySelectorAll('[data-live][id]').forEach(function (el) {
            var fresh = doc.getElementById(el.id);
            if (fresh) { el.replaceWith(document.importNode(fresh, true)); }
          });
          at = Date.now();
          window.flowsloRefreshes++;
          line.classList.remove('stale');
          document.dispatchEvent(new CustomEvent('flowslo:refreshed'));
        })
        .catch(function () { line.classList.add('stale'); at = Date.now() - (every - 5) * 1000; })
        .then(function () { busy = false; tick(); });
    }
    document.addEventListener('visibilitychange', tick);
    setInterval(tick, 1000);
    tick();
  }

  function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }

  function sloCharts(box) {
    var name = box.dataset.slo;
    var objective = parseFloat(box.dataset.objective);
    var windowS = parseInt(box.dataset.window, 10) || 28 * 86400;
    var spans = { '1h': 3600, '6h': 6 * 3600, '24h': 86400, '7d': 7 * 86400, 'window': windowS };
    var charts = [];
    var seq = 0;
    window.flowsloCharts = charts;

    box.closest('.panel').querySelectorAll('.ranges button').forEach(function (b) {
      b.addEventListener('click', function () { load(b.dataset.range); });
    });
    window.addEventListener('resize', function () {
      charts.forEach(function (u) { u.setSize({ width: width(u.root.parentNode), height: 190 }); });
    });
    var last = null;
    // colours come from the CSS variables: redraw when the scheme changes
    window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', function () {
      if (last) { draw(last.s, last.key); }
    });
    var markers = [];
    try { markers = JSON.parse(box.dataset.markers || '[]'); } catch (e) { markers = []; }
    document.addEventListener('flowslo:refreshed', function () { if (last) { load(last.key); } });
    load(box.dataset.range || '24h');

    function width(el) { return Math.max(280, el.clientWidth || box.clientWidth); }

    function load(key) {
      var span = spans[key] || 86400;
      if (!spans[key]) { key = '24h'; }
      var to = Math.floor(Date.now() / 1000);
      var from = to - span;
      var step = Math.max(60, Math.ceil(span / 120 / 60) * 60);
      var my = ++seq;
      box.dataset.state = 'loading';
      box.closest('.panel').querySelectorAll('.ranges button').forEach(function (b) {
        b.setAttribute('aria-pressed', b.dataset.range === key ? 'true' : 'false');
      });
      var url = '/api/v1/slos/' + encodeURIComponent(name) + '/series?from=' + from + '&to=' + to + '&step=' + step + 's';
      fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (r) { return r.json().then(function (j) { if (!r.ok) { throw new Error(j.error || r.statusText); } return j; }); })
        .then(function (s) { if (my === seq) { draw(s, key); return latency(from, to, step, my); } })
        .catch(function (e) { if (my === seq) { message('Could not load the series: ' + e.message); box.dataset.state = 'error'; } });
    }

    // latency draws a latency SLO's p50/p95/p99 against its threshold,
    // after the other charts (draw destroys every chart).
    function latency(from, to, step, my) {
      var threshold = parseFloat(box.dataset.latency);
      if (!(threshold > 0)) { return null; }
      var url = '/api/v1/slos/' + encodeURIComponent(name) + '/latency?from=' + from + '&to=' + to + '&step=' + step + 's';
      return fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (r) { return r.json().then(function (j) { if (!r.ok) { throw new Error(j.error || r.statusText); } return j; }); })
        .then(function (ls) {
          if (my !== seq) { return; }
          var xs = [], p50 = [], p95 = [], p99 = [], th = [];
          (ls.points || []).forEach(function (p) {
            xs.push(Date.parse(p.t) / 1000); p50.push(p.p50_ms); p95.push(p.p95_ms); p99.push(p.p99_ms); th.push(threshold);
          });
          var el = document.getElementById('chart-latency');
          var fg = css('--fg'), grid = css('--grid'), axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
          var fmt = function (u, v) { return v == null ? '–' : (v >= 1000 ? (v / 1000).toFixed(2) + ' s' : v.toFixed(v >= 100 ? 0 : 1) + ' ms'); };
          var line = function (label, stroke, extra) { return Object.assign({ label: label, stroke: stroke, width: 2, value: fmt, spanGaps: false, points: { show: false } }, extra || {}); };
          var u = new uPlot({
            width: width(el), height: 190, hooks: { draw: [placeMarkers] }, scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(threshold, max || 0) * 1.1]; } } },
            axes: [Object.assign({}, axis), Object.assign({ values: function (u, vs) { return vs.map(function (v) { return fmt(u, v); }); }, size: 78 }, axis)],
            series: [{ value: '{YYYY}-{MM}-{DD} {HH}:{mm}' }, line('p50', css('--accent')), line('p95', css('--warn')), line('p99', css('--crit')), line('threshold', css('--muted'), { width: 1, dash: [5, 5] })]
          }, [xs, p50, p95, p99, th], el);
          charts.push(u);
          el.dataset.points = String(xs.length);
          el.dataset.bucketError = String(ls.bucket_error);
        })
        .catch(function (e) { if (my === seq) { message('Could not load the latency percentiles: ' + e.message); } });
    }

    // placeMarkers puts a line over the chart at each alert start and end
    // and each release's first sight within the range (DOM, so it can be
    // read and hovered).
    function placeMarkers(u) {
      u.over.querySelectorAll('.marker').forEach(function (m) { m.remove(); });
      var lo = u.scales.x.min, hi = u.scales.x.max;
      markers.forEach(function (m) {
        if (m.t < lo || m.t > hi) { return; }
        var el = document.createElement('div');
        el.className = 'marker marker-' + m.kind;
        el.dataset.kind = m.kind;
        el.style.left = u.valToPos(m.t, 'x') + 'px';
        el.title = m.label;
        var tag = document.createElement('span');
        tag.textContent = m.short || m.label;
        el.appendChild(tag);
        u.over.appendChild(el);
      });
    }

    function message(text) { document.getElementById('chart-msg').textContent = text; }

    function draw(s, key) {
      last = { s: s, key: key };
      var pts = s.points || [];
      var xs = [], sli = [], budget = [], burn = [], obj = [], one = [];
      var events = 0;
      pts.forEach(function (p) {
        xs.push(Date.parse(p.t) / 1000);
        sli.push(p.sli == null ? null : p.sli * 100);
        budget.push(p.error_budget_remaining == null ? null : p.error_budget_remaining * 100);
        burn.push(p.burn_rate);
        obj.push(objective);
        one.push(1);
        events += p.total;
      });
      charts.forEach(function (u) { u.destroy(); });
      charts.length = 0;
      message(events === 0 ? 'No events in this range: nothing to chart.' : '');
      var fg = css('--fg'), grid = css('--grid'), accent = css('--accent'), crit = css('--crit'), muted = css('--muted'), warn = css('--warn');
      var pct = function (u, v) { return v == null ? '–' : v.toFixed(v > 99 && v < 100 ? 3 : 2) + '%'; };
      var times = function (u, v) { return v == null ? '–' : v.toFixed(2) + '×'; };
      var axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
      function mk(id, series, data, fmt, range) {
        var el = document.getElementById(id);
        var opts = {
          width: width(el), height: 190,
          cursor: { focus: { prox: 16 } },
          hooks: { draw: [placeMarkers] },
          scales: { x: { time: true }, y: range ? { range: range } : {} },
          axes: [Object.assign({}, axis), Object.assign({ values: function (u, vs) { return vs.map(function (v) { return fmt(u, v); }); }, size: 78 }, axis)],
          series: [{ value: '{YYYY}-{MM}-{DD} {HH}:{mm}' }].concat(series.map(function (x) { return Object.assign({ value: fmt, spanGaps: false, points: { show: false } }, x); }))
        };
        var u = new uPlot(opts, [xs].concat(data), el);
        charts.push(u);
      }
      var loSLI = Math.min.apply(null, sli.filter(function (v) { return v != null; }).concat([objective])) ;
      mk('chart-sli', [{ label: 'SLI', stroke: accent, width: 2 }, { label: 'objective', stroke: muted, dash: [5, 5], width: 1 }], [sli, obj], pct,
        function () { var lo = Math.max(0, loSLI - (100 - loSLI) * 0.2); return [lo, 100]; });
      mk('chart-budget', [{ label: 'budget left', stroke: warn, width: 2, fill: warn + '22' }], [budget], pct, null);
      mk('chart-burn', [{ label: 'burn rate', stroke: crit, width: 2 }, { label: '1×', stroke: muted, dash: [5, 5], width: 1 }], [burn, one], times,
        function (u, min, max) { return [0, Math.max(2, (max || 0) * 1.1)]; });
      box.dataset.range = key;
      box.dataset.points = String(pts.length);
      box.dataset.state = 'ready';
    }
  }
})();
