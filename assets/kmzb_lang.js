/* The language switch in place (callbacks/language.py).
   - A plain click on the switch is not followed (the page is re-rendered by a callback instead); a click
     with a modifier (a new tab or window) follows the link and leaves this page alone.
   - window.dash_clientside.kmzbLang: the switch's link as the current view in the other language; the
     language a URL asks for when it is not the page's (back / forward); <title> and <html lang>. */
(function () {
  "use strict";
  var SWITCH = "lang-link";

  function langOf(search) {
    var m = /(?:^\?|&)lang=([^&]*)/.exec(search || "");
    return m && decodeURIComponent(m[1]).toLowerCase() === "en" ? "en" : "pl";
  }

  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("#" + SWITCH);
    if (!a) return;
    if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) {
      e.stopPropagation();  // the link opens elsewhere; this page's switch does not count the click
      return;
    }
    e.preventDefault();  // the click still reaches the switch's n_clicks (Dash), which re-renders the page
  }, true);

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.kmzbLang = {
    // "?lang=en&level=gmina" -> "?level=gmina", "?level=gmina" -> "?lang=en&level=gmina": the same view in the other language
    // (the server's order: lang first; Polish, the default, is left out unless nothing else is there)
    href: function (search) {
      var other = langOf(search) === "en" ? "pl" : "en";
      var rest = (search || "").replace(/^\?/, "").split("&").filter(function (p) {
        return p && p.indexOf("lang=") !== 0;
      });
      if (other === "pl") return rest.length ? "?" + rest.join("&") : "?lang=pl";
      return "?" + ["lang=en"].concat(rest).join("&");
    },
    wanted: function (search, pageLang) {
      var lang = langOf(search);
      return lang === pageLang ? window.dash_clientside.no_update : {lang: lang, at: Date.now()};
    },
    document: function (title, lang) {
      if (title) document.title = title;
      if (lang) document.documentElement.lang = lang;
      // the switch the person used was replaced with the page: focus its successor, not <body>
      var active = document.activeElement;
      if (!active || active === document.body) {
        var s = document.getElementById(SWITCH);
        if (s) s.focus({preventScroll: true});
      }
    }
  };
})();
