"""The district table as a CSV for spreadsheets (pure: DataFrame, lang -> text; no Dash, no I/O).

Two formats for the dashboard's download:
- "sheet" (default in Polish): headers and category names in the page's language, rates and changes as
  percentages, rounded as on screen (per 10,000 and percentages to 1 decimal, counts whole); in Polish
  `;` between fields and a decimal comma, as Excel and LibreOffice expect with a Polish locale; UTF-8 with
  a BOM (so Excel reads the Polish letters);
- "data" (default in English): exactly /api/v1/districts?format=csv (machine-friendly, unchanged).
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from kmzb.i18n import category_label, normalise_lang, translator

FORMATS = ("sheet", "data")
BOM = "\ufeff"
PERCENT = ("confirmation_rate", "ci_low", "ci_high", "change_pct")
ONE_DECIMAL = ("reports_per_10k", "reports_per_10k_smoothed", "median_days_to_verification")
COUNTS = ("population", "reports", "confirmed", "unconfirmed", "pending", "resolved", "reports_previous", "change")


def default_format(lang: str) -> str:
    return "sheet" if normalise_lang(lang) == "pl" else "data"


def headers(lang: str) -> dict[str, str]:
    _ = translator(lang)
    return {
        "teryt": _("TERYT"), "name": _("Name"), "population": _("Population"), "reports": _("Reports"),
        "confirmed": _("Confirmed"), "unconfirmed": _("Unconfirmed"), "pending": _("Pending"),
        "resolved": _("Resolved"), "confirmation_rate": _("Confirmation rate") + " (%)",
        "ci_low": _("95% interval, lower bound") + " (%)", "ci_high": _("95% interval, upper bound") + " (%)",
        "reports_per_10k": _("Per 10,000"), "reports_previous": _("Reports in the comparison period"),
        "change": _("Change"), "change_pct": _("Change %"), "top_category": _("Top category"),
        "median_days_to_verification": _("Median days to verification"),
    }


def sheet_csv(df: pd.DataFrame, lang: str) -> str:
    """The spreadsheet CSV of a district table (columns of kmzb.query.columns.DISTRICT_TABLE; a column
    without a header here keeps its code name)."""
    lang = normalise_lang(lang)
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        v = df[col]
        if col in PERCENT:
            out[col] = (pd.to_numeric(v, errors="coerce") * 100).round(1)
        elif col in ONE_DECIMAL:
            out[col] = pd.to_numeric(v, errors="coerce").round(1)
        elif col in COUNTS:
            out[col] = pd.to_numeric(v, errors="coerce").round().astype("Int64")
        elif col == "top_category":
            out[col] = [category_label(c, lang) if isinstance(c, str) and c else "" for c in v]
        else:
            out[col] = v
    out = out.rename(columns=headers(lang))
    sep, dec = (";", ",") if lang == "pl" else (",", ".")
    return BOM + out.to_csv(index=False, sep=sep, decimal=dec, lineterminator="\r\n")


LEVEL_WORDS = {"pl": {"voivodeship": "wojewodztwa", "powiat": "powiaty", "gmina": "gminy"},
               "en": {"voivodeship": "voivodeships", "powiat": "powiats", "gmina": "gminas"}}
WHOLE_COUNTRY = {"pl": "polska", "en": "poland"}


def ascii_slug(text: str) -> str:
    """'Kraków (miasto)' -> 'krakow-miasto': ASCII letters, digits and hyphens only."""
    text = text.replace("ł", "l").replace("Ł", "L")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def file_name(level: str, region_name: str | None, date_from, date_to, lang: str, fmt: str) -> str:
    """kmzb_gminy_malopolskie_2026-08-27_2026-11-24.csv: the level, the region and the period (ASCII)."""
    lang = normalise_lang(lang)
    parts = ["kmzb", LEVEL_WORDS[lang].get(level, level), ascii_slug(region_name or "") or WHOLE_COUNTRY[lang]]
    parts += [str(d) for d in (date_from, date_to) if d]
    return "_".join(parts) + ("_data" if fmt == "data" else "") + ".csv"
