"""Filters shared by the API and the dashboard: one normalised, hashable value.

`parse_filters` turns untrusted input (query strings, callback values) into `Filters`, or
raises `BadInput` with a message that says what is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from kmzb import reference, teryt
from kmzb.teryt import LEVELS  # noqa: F401  (the API and the dashboard name the levels through here)

INTERVALS = ("day", "week", "month")
FORMATS = ("json", "csv")
MAX_VALUES = 64
MAX_LEN = 200
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2100, 12, 31)


class BadInput(ValueError):
    """Input that cannot be used; the message is safe to show to the caller."""


@dataclass(frozen=True)
class Filters:
    date_from: date | None = None
    date_to: date | None = None
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    teryt: str | None = None

    def key(self) -> str:
        """A canonical string for cache keys."""
        return "|".join([
            self.date_from.isoformat() if self.date_from else "",
            self.date_to.isoformat() if self.date_to else "",
            ",".join(self.categories), ",".join(self.statuses), ",".join(self.outcomes),
            ",".join(self.sources), self.teryt or "",
        ])

    def replace(self, **kw) -> "Filters":
        d = {**self.__dict__, **kw}
        return Filters(**d)

    def to_query(self) -> list[tuple[str, str]]:
        """The filters as API query parameters."""
        q: list[tuple[str, str]] = []
        if self.date_from:
            q.append(("from", self.date_from.isoformat()))
        if self.date_to:
            q.append(("to", self.date_to.isoformat()))
        q += [("category", c) for c in self.categories]
        q += [("status", s) for s in self.statuses]
        q += [("outcome", o) for o in self.outcomes]
        q += [("source", s) for s in self.sources]
        if self.teryt:
            q.append(("teryt", self.teryt))
        return q


def _check_len(name: str, value: str) -> str:
    if not isinstance(value, str):
        raise BadInput(f"'{name}' must be text")
    if len(value) > MAX_LEN:
        raise BadInput(f"'{name}' is too long ({len(value)} characters; at most {MAX_LEN})")
    return value.strip()


def parse_date(name: str, value: str | None) -> date | None:
    if value is None or value == "":
        return None
    value = _check_len(name, value)
    if not DATE_RE.match(value):
        raise BadInput(f"'{name}' must be a date YYYY-MM-DD, got '{value}'")
    try:
        d = date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"'{name}' is not a valid date: '{value}'") from None
    if not MIN_DATE <= d <= MAX_DATE:
        raise BadInput(f"'{name}' is out of range ({MIN_DATE} – {MAX_DATE}): '{value}'")
    return d


def _choices(name: str, values, allowed: tuple[str, ...]) -> tuple[str, ...]:
    values = [_check_len(name, v) for v in (values or []) if v is not None]
    # accept repeated parameters and comma-separated lists
    flat = [p.strip() for v in values for p in v.split(",") if p.strip()]
    if len(flat) > MAX_VALUES:
        raise BadInput(f"too many '{name}' values ({len(flat)}; at most {MAX_VALUES})")
    unknown = [v for v in flat if v not in allowed]
    if unknown:
        raise BadInput(f"unknown {name} '{unknown[0]}'; allowed: {', '.join(allowed)}")
    return tuple(sorted(set(flat), key=allowed.index))


def parse_teryt(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    value = _check_len("teryt", value)
    if not teryt.CODE_RE.match(value):
        raise BadInput(f"'teryt' must be 2, 4 or 7 digits (a voivodeship, powiat or gmina code), got '{value}'")
    return value


def parse_choice(name: str, value: str | None, allowed: tuple[str, ...], default: str) -> str:
    if value is None or value == "":
        return default
    value = _check_len(name, value)
    if value not in allowed:
        raise BadInput(f"unknown {name} '{value}'; allowed: {', '.join(allowed)}")
    return value


def make_filters(*, date_from=None, date_to=None, categories=(), statuses=(), outcomes=(), sources=(),
                 teryt=None) -> Filters:
    """Validate loose values (strings or lists) into Filters."""
    f = Filters(
        date_from=parse_date("from", date_from) if not isinstance(date_from, date) else date_from,
        date_to=parse_date("to", date_to) if not isinstance(date_to, date) else date_to,
        categories=_choices("category", categories, reference.category_codes()),
        statuses=_choices("status", statuses, reference.status_codes()),
        outcomes=_choices("outcome", outcomes, reference.OUTCOMES),
        sources=_choices("source", sources, reference.SOURCES),
        teryt=parse_teryt(teryt),
    )
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise BadInput(f"'from' ({f.date_from}) is after 'to' ({f.date_to})")
    return f


def parse_filters(args) -> Filters:
    """From a query-string mapping with getlist (werkzeug MultiDict)."""
    return make_filters(
        date_from=args.get("from"), date_to=args.get("to"),
        categories=args.getlist("category"), statuses=args.getlist("status"),
        outcomes=args.getlist("outcome"), sources=args.getlist("source"),
        teryt=args.get("teryt"),
    )
