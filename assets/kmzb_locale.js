/* Numbers and dates in the page's language.
   - window.dashAgGridFunctions: the grids' valueFormatters (dashboard/layout.py column defs call them with
     the page's language): Intl.NumberFormat, thousands always grouped ("56 430" with a no-break space in
     Polish, as the server's Babel formats), decimal comma in Polish, one number of decimals per column.
   - window.dateFns.locale: dcc.DatePickerRange (Dash 4, date-fns) takes its locale from here: Polish month
     and day names on Polish pages (the page's ?lang=, Polish by default), date-fns' English otherwise. */
(function () {
  function pageLang() {
    var l = (new URLSearchParams(window.location.search).get("lang") || "pl").toLowerCase();
    return l.indexOf("en") === 0 ? "en" : "pl";
  }
  var TAG = {pl: "pl-PL", en: "en-GB"};
  var cache = {};
  function nf(lang, digits, style, signed) {
    var key = [lang, digits, style, signed].join("|");
    if (!cache[key]) {
      cache[key] = new Intl.NumberFormat(TAG[lang] || TAG.pl, {
        style: style, useGrouping: true, minimumFractionDigits: digits, maximumFractionDigits: digits,
        signDisplay: signed ? "exceptZero" : "auto"});
    }
    return cache[key];
  }
  function missing(v) { return v === null || v === undefined || v === "" || (typeof v === "number" && isNaN(v)); }

  var fns = {
    // a count or a measure: kmzbNum(params.value, 'pl', 0) -> "56 430"; missing -> dash (or `empty`)
    kmzbNum: function (v, lang, digits, empty) {
      return missing(v) ? (empty === undefined ? "–" : empty) : nf(lang, digits || 0, "decimal", false).format(v);
    },
    // a signed change: +1 234 / -5 / 0
    kmzbSigned: function (v, lang, digits) {
      return missing(v) ? "–" : nf(lang, digits || 0, "decimal", true).format(v);
    },
    // a fraction as a percentage: kmzbPct(0.5643, 'pl', 1) -> "56,4%"; signed: "+6,3%"
    kmzbPct: function (v, lang, digits, signed, empty) {
      return missing(v) ? (empty === undefined ? "–" : empty) : nf(lang, digits === undefined ? 1 : digits, "percent", !!signed).format(v);
    }
  };
  window.dashAgGridFunctions = Object.assign(window.dashAgGridFunctions || {}, fns);
  window.kmzbFormat = fns;

  // ---------------------------------------------------------------- date-fns locale for the date picker
  var MONTHS = ["styczeń", "luty", "marzec", "kwiecień", "maj", "czerwiec", "lipiec", "sierpień", "wrzesień",
                "październik", "listopad", "grudzień"];
  var MONTHS_OF = ["stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września",
                   "października", "listopada", "grudnia"];
  var MONTHS_ABBR = ["sty", "lut", "mar", "kwi", "maj", "cze", "lip", "sie", "wrz", "paź", "lis", "gru"];
  var DAYS = ["niedziela", "poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota"];
  var DAYS_ABBR = ["niedz.", "pon.", "wt.", "śr.", "czw.", "pt.", "sob."];
  var DAYS_SHORT = ["nd", "pn", "wt", "śr", "cz", "pt", "so"];
  var DAYS_NARROW = ["N", "P", "W", "Ś", "C", "P", "S"];
  function pick(wide, abbr, short, narrow) {
    return function (i, o) {
      var w = (o && o.width) || "wide";
      return (w === "narrow" ? narrow : w === "short" ? (short || abbr) : w === "abbreviated" ? abbr : wide)[i];
    };
  }
  function noMatch() { return null; }
  var PL = {
    code: "pl",
    localize: {
      ordinalNumber: function (n) { return String(n); },
      era: function (i) { return ["p.n.e.", "n.e."][i]; },
      quarter: function (q) { return ["I kw.", "II kw.", "III kw.", "IV kw."][q - 1]; },
      // the calendar's heading and month menu show a month on its own: the nominative ("wrzesień");
      // a day before it (formatting, "d MMMM") takes the genitive ("1 września")
      month: function (i, o) {
        var w = (o && o.width) || "wide";
        if (w === "narrow") return MONTHS[i].charAt(0).toUpperCase();
        if (w === "abbreviated") return MONTHS_ABBR[i];
        return o && o.context === "formatting" && o.day ? MONTHS_OF[i] : MONTHS[i];
      },
      day: pick(DAYS, DAYS_ABBR, DAYS_SHORT, DAYS_NARROW),
      dayPeriod: function (p) { return p === "am" ? "AM" : p === "pm" ? "PM" : p; }
    },
    formatLong: {
      date: function () { return "dd.MM.y"; },
      time: function () { return "HH:mm"; },
      dateTime: function () { return "{{date}} {{time}}"; }
    },
    formatDistance: function (token, count) { return String(count); },
    formatRelative: function () { return "P"; },
    match: {ordinalNumber: noMatch, era: noMatch, quarter: noMatch, month: noMatch, day: noMatch, dayPeriod: noMatch},
    options: {weekStartsOn: 1, firstWeekContainsDate: 4}
  };
  var dateFns = window.dateFns || {};
  Object.defineProperty(dateFns, "locale", {
    configurable: true,
    get: function () { return pageLang() === "pl" ? {pl: PL} : {}; }
  });
  window.dateFns = dateFns;
})();
