"""What the nightly-extract contract fixes for the reader (shared/spec/nightly-extract.md): file names,
columns, the plausible extent of Poland, the reasons a row is rejected, and the error for a bad file."""

from __future__ import annotations

import re
from pathlib import Path

REQUIRED = ("OBJECTID", "Typ", "Status", "Data_utworzenia", "Data_modyfikacji", "X", "Y")
OPTIONAL = ("Data_zdarzenia", "Dni_tygodnia", "Pora_dnia", "TERYT", "Jednostka", "Zrodlo", "Opis")
COLUMNS = REQUIRED + OPTIONAL
NAME_RE = re.compile(r"^kmzb_(full_)?(\d{8})\.csv(\.gz)?$")
TZ = "Europe/Warsaw"

# plausible EPSG:2180 extent of Poland (contract: about 140 000 – 900 000 / 100 000 – 800 000)
X_RANGE = (100_000.0, 950_000.0)
Y_RANGE = (50_000.0, 850_000.0)

# reason keys, in the order they are checked (a row gets the first that applies)
R_EMPTY = "empty row (every field empty)"
R_OBJECTID_MISSING = "missing OBJECTID"
R_OBJECTID_BAD = "invalid OBJECTID"
R_TYP_MISSING = "missing Typ"
R_TYP_UNKNOWN = "unknown category"
R_STATUS_MISSING = "missing Status"
R_STATUS_UNKNOWN = "unknown status"
R_CREATED = "missing or unparseable Data_utworzenia"
R_MODIFIED = "missing or unparseable Data_modyfikacji"
R_ORDER = "Data_modyfikacji before Data_utworzenia"
R_XY = "missing or unparseable X/Y"
R_OUTSIDE = "point outside Poland"
R_SOURCE = "unknown Zrodlo"
R_FIELDS = "wrong number of fields"
R_CONFLICT = "same OBJECTID and Data_modyfikacji with different content"


class ExtractError(Exception):
    """The file as a whole cannot be used; nothing of it may load."""

    def __init__(self, path: Path | str, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def file_kind(path: Path) -> str:
    m = NAME_RE.match(path.name)
    if not m:
        raise ExtractError(path, "file name must be kmzb_YYYYMMDD.csv or kmzb_full_YYYYMMDD.csv (optionally .gz)")
    return "full" if m.group(1) else "delta"
