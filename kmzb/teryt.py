"""TERYT codes and the three levels: a voivodeship has 2 digits, a powiat 4, a gmina 7; a code's
parents are its prefixes. The one place that knows this."""

from __future__ import annotations

import re

LEVELS = ("voivodeship", "powiat", "gmina")
DIGITS = {"voivodeship": 2, "powiat": 4, "gmina": 7}
LEVEL_OF_DIGITS = {n: level for level, n in DIGITS.items()}
CODE_RE = re.compile(r"^(\d{2}|\d{4}|\d{7})$")
# a level's code as a number from a gmina's 7-digit number: code // DIVISOR
DIVISOR = {"voivodeship": 100_000, "powiat": 1_000, "gmina": 1}


def level_of(code: str | None) -> str | None:
    """'voivodeship', 'powiat' or 'gmina' for a code of 2, 4 or 7 digits, else None."""
    return LEVEL_OF_DIGITS.get(len(code)) if code else None


def prefix(code: str, level: str) -> str:
    """The code of the district of `level` holding `code` (its first 2, 4 or 7 digits)."""
    return code[:DIGITS[level]]


def parent(code: str) -> str:
    """The next level up ('' for a voivodeship: Poland)."""
    return {7: code[:4], 4: code[:2]}.get(len(code), "")


def next_level(level: str) -> str:
    """The level one step down (a gmina stays a gmina)."""
    return LEVELS[min(LEVELS.index(level) + 1, len(LEVELS) - 1)]
