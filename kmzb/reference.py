"""The contract's reference tables: categories, statuses, outcomes, channels.

The CSVs are the ones of the extract contract (shared/spec), shipped with the package.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

OUTCOMES = ("pending", "confirmed", "unconfirmed")
SOURCES = ("internet", "debata", "kontakt")
DAYS = ("pon", "wt", "śr", "czw", "pt", "sob", "nd")
TIMES_OF_DAY = ("rano", "dzień", "wieczór", "noc")


@dataclass(frozen=True)
class Category:
    code: str
    label_pl: str
    label_en: str
    group: str
    active_from: str
    active_to: str | None
    public_visibility: str  # public | confirmed-only | hidden


@dataclass(frozen=True)
class Status:
    code: str
    label_pl: str
    label_en: str
    outcome: str  # pending | confirmed | unconfirmed


def _read(name: str) -> list[dict[str, str]]:
    text = resources.files("kmzb.spec").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@lru_cache(maxsize=1)
def categories() -> tuple[Category, ...]:
    return tuple(
        Category(
            code=r["code"],
            label_pl=r["label_pl"],
            label_en=r["label_en"],
            group=r["group"],
            active_from=r["active_from"],
            active_to=r["active_to"] or None,
            public_visibility=r["public_visibility"],
        )
        for r in _read("categories.csv")
    )


@lru_cache(maxsize=1)
def statuses() -> tuple[Status, ...]:
    return tuple(Status(**r) for r in _read("statuses.csv"))


def category_codes() -> tuple[str, ...]:
    return tuple(c.code for c in categories())


def status_codes() -> tuple[str, ...]:
    return tuple(s.code for s in statuses())


@lru_cache(maxsize=1)
def category_lookup() -> dict[str, str]:
    """Normalised label or code -> code (labels matched ignoring case and surrounding spaces)."""
    out: dict[str, str] = {}
    for c in categories():
        out[c.code.casefold()] = c.code
        out[c.label_pl.strip().casefold()] = c.code
    return out


@lru_cache(maxsize=1)
def status_lookup() -> dict[str, str]:
    out: dict[str, str] = {}
    for s in statuses():
        out[s.code.casefold()] = s.code
        out[s.label_pl.strip().casefold()] = s.code
    return out


@lru_cache(maxsize=1)
def status_outcome() -> dict[str, str]:
    return {s.code: s.outcome for s in statuses()}

