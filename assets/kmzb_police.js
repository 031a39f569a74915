/* Police view (loaded on every page, used only by the police layout's points layer):
   individual reports as circle markers coloured by outcome; clusters come from dash-leaflet
   (supercluster). hideout = {colors: {outcome: colour}, cat: {code: label}}. */
window.kmzbPolice = Object.assign({}, window.kmzbPolice, {
  point: function (feature, latlng, context) {
    var h = (context && context.hideout) || {};
    var p = feature.properties || {};
    return L.circleMarker(latlng, {
      pane: "markerPane",  // above the districts, whatever order they are redrawn in
      radius: 7, weight: 1.5, color: "#ffffff", opacity: 1, fillOpacity: 0.9,
      fillColor: (h.colors || {})[p.outcome] || "#3388ff",
      className: "police-point p-" + p.objectid
    });
  },
  onEach: function (feature, layer, context) {
    var p = feature.properties || {};
    if (p.cluster) return;
    var h = (context && context.hideout) || {};
    var label = (h.cat || {})[p.category] || p.category;
    var div = document.createElement("div");  // text only: never parsed as HTML
    var b = document.createElement("b");
    b.textContent = label;
    var small = document.createElement("small");
    small.textContent = p.created + " · #" + p.objectid;
    div.appendChild(b); div.appendChild(document.createElement("br")); div.appendChild(small);
    layer.bindTooltip(div, {direction: "top", opacity: 0.95});
  }
});

(function () {  // a clicked point keeps a ring rather than the browser's square focus outline
  var css = ".police-point:focus{outline:none;stroke:#111;stroke-width:3px}";
  var style = document.createElement("style");
  style.appendChild(document.createTextNode(css));
  document.head.appendChild(style);
})();
