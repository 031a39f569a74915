/* Choropleth styling for the threat map. Geometry is loaded once by url; a filter change
   sends only `hideout` = {cls, val, n, colors, nodata, few, scope, selected, fmt...}. */
window.kmzb = Object.assign({}, window.kmzb, {
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
    if (h.selected && feature.properties.teryt === h.selected) { s.weight = 3; s.color = "#111"; }
    return s;
  },
  hover: function () { return {weight: 3, color: "#222"}; },
  filter: function (feature, context) {
    var h = (context && context.hideout) || {};
    return !h.scope || feature.properties.teryt.indexOf(h.scope) === 0;
  },
  tooltip: function (feature, h) {
    var e = window.kmzb._entry(feature, h) || {};
    var p = feature.properties;
    var lines = ["<b>" + (p.label || p.name) + "</b> <small>" + p.teryt + "</small>"];
    if (!h || !h.cls) return lines[0];
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
    layer.bindTooltip(function () {
      return window.kmzb.tooltip(feature, (context && context.hideout) || {});
    }, {sticky: true, direction: "top", opacity: 0.95});
  }
});
