"""Deterministic demo extracts that look like real KMZB data (see shared/spec/nightly-extract.md).

`generate(out_dir, geo_dir=..., end=...)` writes one full snapshot and a run of nightly deltas,
exercising the contract's format variants (BOM, Windows-1250, `,` delimiter, gzip, shuffled and
extra columns, ISO 8601 datetimes with offset) and, optionally, a few bad rows of every kind.
`generate_details(...)` does the same and also says what went into each file (bad rows with their
line numbers, TERYT mismatches), for tests. `write_full_snapshot(...)` writes one big snapshot
(and optionally one delta) for benchmarks. Everything is vectorised numpy and seeded: the same
arguments give byte-identical files.

The modules, one job each: calibration (the figures, with where they come from), units and texts
(police unit names, Opis texts), geography (gminas, their weights and hot spots), simulate (the
reports and their status histories), fields, badrows and write (the files), extracts (which files
hold which reports), progress (how far it is, for the command line).
"""

from kmzb.demo.badrows import BAD_ROW_KINDS, GHOST_OBJECTID, BadRow
from kmzb.demo.extracts import (
    DemoSet,
    Progress,
    generate,
    generate_details,
    write_full_snapshot,
)
from kmzb.demo.fields import COLUMNS
from kmzb.demo.simulate import FIRST_OBJECTID
from kmzb.demo.write import ExtractInfo

__all__ = [
    "BAD_ROW_KINDS", "COLUMNS", "FIRST_OBJECTID", "GHOST_OBJECTID", "BadRow", "DemoSet", "ExtractInfo",
    "Progress", "generate", "generate_details", "write_full_snapshot",
]
