"""The profile's tables as one .xlsx (openpyxl): every table its own sheet, numbers as numbers (the
API's raw values and column names, so each cell can be compared with /api/v1), a header sheet
first with the district, period, data date and the methods in the chosen language."""

from __future__ import annotations

import io
import math
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from kmzb.i18n import translator

SHEET_TITLES = {  # sheet name -> English msgid of its title (sheet names stay stable: max 31 chars)
    "headline": "Headline figures", "categories": "Top threats", "trend": "Trend",
    "week": "Day of week and time of day", "units": "Units", "changes_categories": "What changed: categories",
    "changes_units": "What changed: units", "workload": "Police units' workload",
}


def _cell(v):
    if v is None:
        return None
    if hasattr(v, "item"):  # numpy scalars -> Python numbers
        v = v.item()
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if v is not None and type(v).__name__ in ("NAType", "NaTType"):
        return None
    return v


def workbook(p, lang: str) -> bytes:
    _ = translator(lang)
    wb = Workbook()
    info = wb.active
    info.title = "profile"
    bold = Font(bold=True)
    rows = [
        (_("District"), p.label), ("TERYT", p.teryt), (_("Level"), _({"voivodeship": "Voivodeship", "powiat": "Powiat", "gmina": "Gmina"}[p.level])), (_("Population"), p.population),
        (_("Period from"), p.f.date_from), (_("Period to"), p.f.date_to),
        (_("Compared with, from"), p.prev.date_from), (_("Compared with, to"), p.prev.date_to),
        (_("Data as of"), date.fromisoformat(p.data_date) if p.data_date else None),
        (_("Audience"), _("police") if p.audience != "public" else _("public")),
        (_("Source"), "/api/v1 (" + _("the same filters give the same numbers") + ")"),
    ]
    for r in rows:
        info.append(list(r))
    for c in info["A"]:
        c.font = bold
    info.column_dimensions["A"].width = 28
    info.column_dimensions["B"].width = 40
    for name, df in p.tables().items():
        ws = wb.create_sheet(name)
        ws.append([_(SHEET_TITLES.get(name, name))])
        ws["A1"].font = Font(bold=True, size=12)
        ws.append(list(df.columns))
        for c in ws[2]:
            c.font = bold
        for rec in df.itertuples(index=False, name=None):
            ws.append([_cell(v) for v in rec])
        for i, col in enumerate(df.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(str(col)) + 2))
            if col in ("confirmation_rate", "ci_low", "ci_high", "change_pct", "read_2d_share", "verified_5d_share"):
                for row in ws.iter_rows(min_row=3, min_col=i, max_col=i):
                    row[0].number_format = "0.0%"
            elif col in ("month", "period"):
                for row in ws.iter_rows(min_row=3, min_col=i, max_col=i):
                    row[0].number_format = "yyyy-mm"
        ws.freeze_panes = "A3"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
