/* Choropleth styling for the threat map. Geometry is loaded once by url; a filter change
   sends only `hideout` = {cls, val, n, colors, nodata, few, scope, selected, fmt...}. */
window.kmzb = Object.assign({}, window.kmzb, {
  // a value handed over once the page is quiet: the grids sit below the map and the charts, and
  // creating them (AG Grid's code, its rows, the formatters) would otherwise take the one main thread
  // while the charts are being drawn (issue 13: first draw). Quiet = no long task (> 50 ms, as each
  // chart's drawing is) for QUIET_MS, then an idle period; the wait is capped at MAX_WAIT_MS, so a busy
  // page still gets its grids. Everything waiting at once is released together (one wait, not one
  // after another's long task). A clientside callback may return a Promise.
  whenQuiet: function (value) {
    var k = window.kmzb;
    if (!k._quiet) {
      k._quiet = new Promise(function (resolve) {
        var QUIET_MS = 250, MAX_WAIT_MS = 4000, t0 = performance.now();
        (function check() {
          var now = performance.now();
          if (now - k._lastLongTask() < QUIET_MS && now - t0 < MAX_WAIT_MS) { setTimeout(check, 100); return; }
          var go = function () { k._quiet = null; resolve(); };
          if (window.requestIdleCallback) window.requestIdleCallback(go, {timeout: 500}); else go();
        })();
      });
    }
    return k._quiet.then(function () { return value; });
  },
  _lastLongTask: (function () {
    var last = 0;  // when the newest long task ended (ms since navigation)
    try {
      new PerformanceObserver(function (list) {
        list.getEntries().forEach(function (e) { last = Math.max(last, e.startTime + e.duration); });
      }).observe({type: "longtask", buffered: true});
    } catch (e) { /* no long task timing: only the idle period counts */ }
    return function () { return last; };
  })(),
  // dashboard/lazy.py: the grid `spec` (a component as data) into its empty box, once the page is quiet
  // after the views' first answer (`views`: the table's data, which comes with the map and the charts),
  // or at once when the box is scrolled near before that; nothing before the answer or once it is there
  lazyGrid: function (views, spec) {
    var nothing = window.dash_clientside.no_update;
    if (views === null || views === undefined || !spec || !spec.props || document.getElementById(spec.props.id)) {
      return nothing;
    }
    var box = document.getElementById(spec.props.id + "-holder");
    return new Promise(function (resolve) {
      var done = false, io = null;
      function go() {
        if (done) return;
        done = true;
        if (io) io.disconnect();
        resolve(document.getElementById(spec.props.id) ? nothing : spec);
      }
      if (box && window.IntersectionObserver) {
        io = new IntersectionObserver(function (es) { if (es.some(function (e) { return e.isIntersecting; })) go(); },
                                      {rootMargin: "300px"});
        io.observe(box);
      }
      window.kmzb.whenQuiet(null).then(go);
    });
  },
  // the district table's rows arrive column by column ({field: [values]}): one object per row
  rows: function (cols) {
    if (!cols) return [];
    var keys = Object.keys(cols);
    var n = keys.length ? cols[keys[0]].length : 0;
    var out = new Array(n);
    for (var i = 0; i < n; i++) {
      var r = {};
      for (var k = 0; k < keys.length; k++) r[keys[k]] = cols[keys[k]][i];
      out[i] = r;
    }
    return out;
  },
  _entry: function (feature, h) {
    var i = feature.properties.i;
    if (!h || !h.cls || i === undefined) return null;
    return {c: h.cls.charAt(i), v: h.val ? h.val[i] : null, n: h.n ? h.n[i] : null};
  },
  style: function (feature, context) {
    var h = (context && context.hideout) || {};
    var e = window.kmzb._entry(feature, h);
    // className is applied when the path is created: lets tests and CSS find a district
    var s = {className: "district d-" + feature.properties.teryt, weight: 0.7, color: "#ffffff", opacity: 1, fillOpacity: 0.82, fillColor: h.nodata || "#d9d9d9", dashArray: null};
    if (e && e.c === "x") {
      s.fillColor = h.few || "#f0f0f0"; s.color = "#7a7a7a"; s.dashArray = "3 3"; s.fillOpacity = 0.9;
    } else if (e && e.c >= "0" && e.c <= "9") {
      s.fillColor = (h.colors || [])[+e.c] || s.fillColor;
    }
    var t = feature.properties.teryt;
    if (h.scope && t.indexOf(h.scope) !== 0) {
      // a neighbour outside the shown region: context only, faint
      s = {className: "district neighbour d-" + t, weight: 0.6, color: "#9a9a9a", opacity: 0.8, fillOpacity: 0.35,
           fillColor: "#eeeeee", dashArray: null};
    }
    if (h.selected && t === h.selected) {
      s.weight = 3.5; s.color = "#111"; s.className += " selected";
      window.kmzb._front(t);
    }
    return s;
  },
  // the selected district's outline on top of its neighbours' (SVG draws in order)
  _layers: {},
  _front: function (teryt) {
    setTimeout(function () {
      var l = window.kmzb._layers[teryt];
      if (l && l._map && l.bringToFront) l.bringToFront();
    }, 0);
  },
  // the tooltip's text without markup: a district's accessible name
  label: function (feature, h) {
    var div = document.createElement("div");
    div.innerHTML = window.kmzb.tooltip(feature, h).replace(/<br>/g, " · ");
    return div.textContent;
  },
  // keyboard: when few districts are drawn (h.shown <= h.focusable), each is a named button and
  // Enter or Space drills down like a click; with hundreds, the district table is the way in
  _keyboard: function (feature, layer, context) {
    var hideout = function () { return (context && context.hideout) || {}; };
    layer.on("add", function () {
      var el = layer.getElement && layer.getElement();
      if (!el) return;
      var h = hideout(), t = feature.properties.teryt;
      var inside = !h.scope || t.indexOf(h.scope) === 0;
      if (inside && h.shown != null && h.focusable != null && h.shown <= h.focusable) {
        el.setAttribute("tabindex", "0");
        el.setAttribute("role", "button");
        el.setAttribute("aria-label", window.kmzb.label(feature, h));
        el.addEventListener("focus", function () { el.setAttribute("aria-label", window.kmzb.label(feature, hideout())); });
        el.addEventListener("keydown", function (e) {
          if (e.key !== "Enter" && e.key !== " ") return;
          e.preventDefault();
          var c = layer.getBounds ? layer.getBounds().getCenter() : null;
          layer.fire("click", {latlng: c, originalEvent: e}, true);
        });
      } else {
        el.setAttribute("aria-hidden", "true");
      }
    });
  },
  hover: function () { return {weight: 3, color: "#222"}; },
  filter: function (feature, context) {
    var h = (context && context.hideout) || {};
    var within = h.context !== undefined ? h.context : h.scope;
    return !within || feature.properties.teryt.indexOf(within) === 0;
  },
  tooltip: function (feature, h) {
    var e = window.kmzb._entry(feature, h) || {};
    var p = feature.properties;
    var lines = ["<b>" + (p.label || p.name) + "</b> <small>" + p.teryt + "</small>"];
    if (!h || !h.cls) return lines[0];
    if (h.scope && p.teryt.indexOf(h.scope) !== 0) return lines[0];  // a neighbour: its name only
    if (e.c === "x") {
      lines.push((h.t_few || "too few resolved reports") + " (" + (h.t_count || "n") + ": " + (e.n == null ? 0 : e.n) + ")");
    } else if (e.c === "-" || e.c === "") {
      lines.push(e.v === "<5" ? "<5" : (h.t_nodata || "no data"));
    } else {
      lines.push((h.t_metric || "") + ": <b>" + (e.v == null ? "–" : e.v) + "</b>");
      lines.push((h.t_count || "n") + ": " + (e.n == null ? 0 : e.n));
    }
    return lines.join("<br>");
  },
  onEach: function (feature, layer, context) {
    window.kmzb._layers[feature.properties.teryt] = layer;
    var hs = (context && context.hideout) || {};
    if (hs.selected && feature.properties.teryt === hs.selected) window.kmzb._front(hs.selected);
    layer.bindTooltip(function () {
      return window.kmzb.tooltip(feature, (context && context.hideout) || {});
    }, {sticky: true, direction: "top", opacity: 0.95});
    window.kmzb._keyboard(feature, layer, context);
  }
});
