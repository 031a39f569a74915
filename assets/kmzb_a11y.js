/* Keyboard and screen-reader fix-ups the components do not do themselves (issue 12):
   - <html lang> from the page's language (the ?lang= of the URL, as the server reads it);
   - Dash 4's dropdown: its hidden focus target (aria-hidden yet focusable) leaves the tab order and
     the real button takes it, named by its <label> and its value;
   - the date picker: no broken aria on its wrapper, its clear mark a named button;
   - plotly's toolbars: out of the tab order; Enter on a chart (one tab stop) lets Tab reach them;
   - the filter panel on a phone (Bootstrap's .offcanvas-lg: a plain column from lg up): open,
     close (Escape, the close and "show results" buttons), focus moved in and back. */
(function () {
  "use strict";
  function lang() {
    return new URLSearchParams(window.location.search).get("lang") === "en" ? "en" : "pl";
  }
  document.documentElement.lang = lang();

  function set(el, name, value) {
    if (el.getAttribute(name) !== value) el.setAttribute(name, value);
  }

  function fixDropdowns(root) {
    root.querySelectorAll(".dash-dropdown-wrapper").forEach(function (w) {
      var target = w.querySelector(".dash-dropdown-focus-target");
      var button = w.querySelector("button.dash-dropdown");
      if (!target || !button) return;
      set(target, "tabindex", "-1");
      set(button, "tabindex", "0");
      var label = button.id && document.querySelector('label[for="' + button.id + '"]');
      if (label) {
        if (!label.id) label.id = button.id + "-label";
        var ids = (button.getAttribute("aria-labelledby") || "").split(/\s+/).filter(function (x) {
          return x && x !== label.id && document.getElementById(x);
        });
        set(button, "aria-labelledby", [label.id].concat(ids).join(" "));
      }
    });
  }

  function fixDatePickers(root) {
    root.querySelectorAll(".dash-datepicker-input-wrapper").forEach(function (w) {
      ["aria-haspopup", "aria-expanded", "aria-disabled", "type"].forEach(function (a) {
        if (w.hasAttribute(a)) w.removeAttribute(a);
      });
      var ids = (w.getAttribute("aria-labelledby") || "").split(/\s+/).filter(function (x) {
        return x && x !== "undefined" && document.getElementById(x);
      });
      if (ids.length) set(w, "aria-labelledby", ids.join(" ")); else w.removeAttribute("aria-labelledby");
      set(w, "role", "group");
    });
    root.querySelectorAll("a.dash-datepicker-clear").forEach(function (a) {
      set(a, "role", "button");
      set(a, "tabindex", "0");
      set(a, "aria-label", lang() === "en" ? "Clear dates" : "Wyczyść daty");
    });
  }

  function fixModebars(root) {
    root.querySelectorAll(".kmzb-figure").forEach(function (fig) {
      var open = fig.classList.contains("tools-open");
      fig.querySelectorAll(".modebar-btn").forEach(function (b) { set(b, "tabindex", open ? "0" : "-1"); });
    });
  }

  // Dash's page ends in a <footer> of scripts: not the page's footer (one contentinfo landmark)
  function fixDashFooter() {
    document.querySelectorAll("body > footer").forEach(function (f) {
      if (!f.textContent.trim() || !f.querySelector(":not(script)")) set(f, "role", "none");
    });
  }

  var fixAll = function () {
    fixDashFooter();
    fixDropdowns(document);
    fixDatePickers(document);
    fixModebars(document);
  };

  var pending = false;
  new MutationObserver(function () {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; fixAll(); });
  }).observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener("DOMContentLoaded", function () { fixAll(); });

  // ---------------------------------------------------------------- filters off-canvas (phone)
  var lastFocus = null;
  function panel() { return document.getElementById("filter-collapse"); }
  function openFilters() {
    var p = panel();
    if (!p) return;
    lastFocus = document.activeElement;
    p.classList.add("show");
    set(p, "aria-modal", "true");
    set(p, "role", "dialog");
    document.body.classList.add("filters-open");
    var t = document.getElementById("filter-toggle");
    if (t) set(t, "aria-expanded", "true");
    var first = p.querySelector(".offcanvas-header .btn-close") || p;
    window.setTimeout(function () { first.focus(); }, 30);
  }
  function closeFilters(focusResults) {
    var p = panel();
    if (!p || !p.classList.contains("show")) return;
    p.classList.remove("show");
    p.removeAttribute("aria-modal");
    p.removeAttribute("role");
    document.body.classList.remove("filters-open");
    var t = document.getElementById("filter-toggle");
    if (t) set(t, "aria-expanded", "false");
    var to = focusResults ? document.getElementById("results") : (lastFocus || t);
    if (to) to.focus();
  }
  document.addEventListener("click", function (e) {
    var el = e.target.closest ? e.target : e.target.parentElement;
    if (!el || !el.closest) return;
    if (el.closest("#filter-toggle")) { e.preventDefault(); openFilters(); return; }
    if (el.closest("#filter-close")) { closeFilters(false); return; }
    if (el.closest("#show-results")) { closeFilters(true); return; }
    if (el.closest(".offcanvas-backdrop-kmzb")) { closeFilters(false); }
  });
  // Dash 4's searchable dropdown, opened with a value chosen, focuses that value's option, not its search
  // box: typing went nowhere (and Enter then cleared the choice). A letter typed anywhere in an open
  // dropdown goes to its search box: focus moves there before the key's character is inserted.
  document.addEventListener("keydown", function (e) {
    var el = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey || !el.closest) return;
    var content = el.closest(".dash-dropdown-content");
    var search = content && content.querySelector("input.dash-dropdown-search");
    if (!search || el === search) return;
    var typing = e.key.length === 1 && (e.key !== " " || search.value !== "");  // Space on an option picks it
    if (typing || (e.key === "Backspace" && search.value !== "")) search.focus();
  }, true);

  document.addEventListener("keydown", function (e) {
    var el = e.target;
    if (e.key === "Escape" && panel() && panel().classList.contains("show")) { closeFilters(false); return; }
    // a chart: one tab stop; Enter opens its toolbar to Tab
    if (e.key === "Enter" && el.classList && el.classList.contains("kmzb-figure")) {
      el.classList.add("tools-open");
      fixModebars(document);
      var b = el.querySelector(".modebar-btn");
      if (b) { e.preventDefault(); b.focus(); }
      return;
    }
    // elements given role=button (the date picker's clear mark) act on Enter and Space
    if ((e.key === "Enter" || e.key === " ") && el.getAttribute && el.getAttribute("role") === "button"
        && el.tagName !== "BUTTON" && !el.closest(".leaflet-container")) {
      e.preventDefault();
      el.click();
    }
  });
  // the skip link: focus (not just scroll to) the results
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("#skip-link");
    if (!a) return;
    var r = document.getElementById("results");
    if (!r) return;
    e.preventDefault();
    r.focus({preventScroll: true});
    r.scrollIntoView();
  });

  // ---------------------------------------------------------------- narrow screens (a phone)
  var NARROW = 576, done = new WeakSet();
  function narrow() { return window.innerWidth < NARROW; }
  function wrap(text, width) {
    // plotly titles do not wrap: break lines at spaces, keeping any <br> already there
    return String(text).split("<br>").map(function (line) {
      var words = line.split(" "), out = [], cur = "";
      words.forEach(function (w) {
        if (cur && (cur + " " + w).replace(/<[^>]+>/g, "").length > width) { out.push(cur); cur = w; }
        else cur = cur ? cur + " " + w : w;
      });
      if (cur) out.push(cur);
      return out.join("<br>");
    }).join("<br>");
  }
  function shorten(t, n) { t = String(t); return t.length <= n ? t : t.slice(0, n - 1).replace(/\s+$/, "") + "…"; }
  function fitChart(gd) {
    if (!narrow() || !window.Plotly || !gd.layout || done.has(gd.layout)) return;
    var L = gd.layout, upd = {}, chars = Math.max(20, Math.floor((gd.clientWidth || 360) / 8.5));
    var title = L.title && (typeof L.title === "string" ? L.title : L.title.text);
    if (title) {
      var wrapped = wrap(title, chars);
      var extra = wrapped.split("<br>").length - String(title).split("<br>").length;
      upd["title.text"] = wrapped;
      if (L.title.subtitle && L.title.subtitle.text) upd["title.subtitle.text"] = wrap(L.title.subtitle.text, chars + 8);
      var subExtra = upd["title.subtitle.text"] ?
        upd["title.subtitle.text"].split("<br>").length - L.title.subtitle.text.split("<br>").length : 0;
      if (extra + subExtra > 0) upd["margin.t"] = ((L.margin && L.margin.t) || 80) + 19 * (extra + subExtra);
    }
    ["xaxis", "xaxis2"].forEach(function (ax) {
      var a = L[ax];
      if (!a) return;
      upd[ax + ".tickangle"] = 0;
      if (a.tickmode === "array" && a.tickvals && a.tickvals.length > 3) {
        var step = Math.ceil(a.tickvals.length / 3);
        upd[ax + ".tickvals"] = a.tickvals.filter(function (_v, i) { return i % step === 0; });
        if (a.ticktext) upd[ax + ".ticktext"] = a.ticktext.filter(function (_v, i) { return i % step === 0; });
      } else if (a.type !== "category") {
        upd[ax + ".nticks"] = 4;
      } else if (a.type === "category") {
        upd[ax + ".tickfont.size"] = 10;
      }
    });
    ["yaxis"].forEach(function (ax) {
      var a = L[ax];
      if (a && a.ticktext) upd[ax + ".ticktext"] = a.ticktext.map(function (t) { return shorten(t, 18); });
    });
    done.add(L);
    window.Plotly.relayout(gd, upd);
  }
  function hookCharts() {
    document.querySelectorAll(".kmzb-figure .js-plotly-plot").forEach(function (gd) {
      if (!gd._kmzbHooked && gd.on) {
        gd._kmzbHooked = true;
        gd.on("plotly_afterplot", function () { fitChart(gd); });
      }
      fitChart(gd);
    });
  }
  // the district tables: no pinned columns on a phone (they took two-thirds of its width)
  // (kept on the element: a language switch re-renders the page with new grids, pinned again)
  var GRIDS = ["district-table", "sensitive-table"], pinned = {};
  function fitGrids() {
    if (!window.dash_ag_grid || !window.dash_ag_grid.getApiAsync) return;
    GRIDS.forEach(function (id) {
      var el = document.getElementById(id);
      if (!el || el._kmzbFitted === narrow() + ":" + el.childElementCount) return;
      el._kmzbFitted = narrow() + ":" + el.childElementCount;
      window.dash_ag_grid.getApiAsync(id).then(function (api) {
        if (!pinned[id]) {
          pinned[id] = (api.getColumnDefs() || []).filter(function (c) { return c.pinned; })
            .map(function (c) { return [c.field, c.pinned]; });
        }
        pinned[id].forEach(function (p) {
          var want = narrow() ? null : p[1];
          var col = api.getColumn(p[0]);
          if (col && (col.getPinned() || null) !== want) api.setColumnsPinned([p[0]], want);
        });
      }).catch(function () {});
    });
  }
  var oldFixAll = fixAll;
  fixAll = function () { oldFixAll(); hookCharts(); fitGrids(); };
  window.addEventListener("resize", fitGrids);

  document.addEventListener("focusout", function (e) {
    var fig = e.target.closest && e.target.closest(".kmzb-figure");
    if (fig && !(e.relatedTarget && fig.contains(e.relatedTarget))) {
      fig.classList.remove("tools-open");
      fixModebars(document);
    }
  });
})();
