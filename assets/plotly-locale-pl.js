/* Plotly's Polish locale: the chart toolbar's tooltips and messages, day and month names.
   dcc.Graph's config `locale: "pl"` (dashboard/figures.py png_config) selects it. Dash does not serve
   plotly.js's locale files, so it is here. The day and month names follow plotly.js's dist/plotly-locale-pl.js
   (Copyright (c) 2016-2024 Plotly Technologies Inc., MIT License; its short month names corrected); that
   file has no translated tooltips, so the dictionary is this project's. Registered when plotly is already
   loaded, else queued in window.PlotlyLocales, which plotly.js registers when it loads. */
(function () {
  var locale = {
    moduleType: "locale",
    name: "pl",
    dictionary: {
      "Autoscale": "Skaluj automatycznie",
      "Box Select": "Zaznacz prostokątem",
      "Compare data on hover": "Porównaj dane po wskazaniu",
      "Double-click on legend to isolate one trace": "Kliknij dwukrotnie legendę, by pokazać tylko jedną serię",
      "Double-click to zoom back out": "Kliknij dwukrotnie, by oddalić",
      "Download plot as a PNG": "Pobierz wykres jako PNG",
      "Download plot": "Pobierz wykres",
      "Lasso Select": "Zaznacz lassem",
      "Pan": "Przesuń",
      "Produced with Plotly.js": "Wykonano w Plotly.js",
      "Reset": "Przywróć",
      "Reset axes": "Przywróć osie",
      "Reset view": "Przywróć widok",
      "Reset views": "Przywróć widoki",
      "Show closest data on hover": "Pokaż najbliższe dane po wskazaniu",
      "Snapshot succeeded": "Zapisano obraz",
      "Sorry, there was a problem downloading your snapshot!": "Nie udało się pobrać obrazu.",
      "Taking snapshot - this may take a few seconds": "Zapisywanie obrazu — może to potrwać kilka sekund",
      "Toggle Spike Lines": "Włącz/wyłącz linie pomocnicze",
      "Toggle show closest data on hover": "Włącz/wyłącz najbliższe dane po wskazaniu",
      "Zoom": "Powiększ obszar",
      "Zoom in": "Powiększ",
      "Zoom out": "Pomniejsz",
      "trace": "seria",
      "max:": "maks.:",
      "min:": "min.:",
      "mean:": "średnia:",
      "median:": "mediana:",
      "q1:": "q1:",
      "q3:": "q3:"
    },
    format: {
      days: ["niedziela", "poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota"],
      shortDays: ["nd", "pn", "wt", "śr", "cz", "pt", "so"],
      months: ["styczeń", "luty", "marzec", "kwiecień", "maj", "czerwiec", "lipiec", "sierpień", "wrzesień",
               "październik", "listopad", "grudzień"],
      shortMonths: ["sty", "lut", "mar", "kwi", "maj", "cze", "lip", "sie", "wrz", "paź", "lis", "gru"],
      date: "%d.%m.%Y",
      decimal: ",",
      thousands: "\u00a0"
    }
  };
  if (typeof window.Plotly === "undefined" || !window.Plotly.register) {
    window.PlotlyLocales = window.PlotlyLocales || [];
    window.PlotlyLocales.push(locale);
  } else {
    window.Plotly.register(locale);
  }
})();
