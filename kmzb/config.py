"""Settings, read from the environment when asked for (never at import time)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    geo_dir: Path
    cache_url: str | None = None
    cache_dir: Path | None = None
    cache_kind: str = "memory"  # memory (per process) | file (cache_dir, shared on one machine) | off
    cache_entries: int = 1000  # the file cache's bound
    cache_bytes: int = 64 * 1024 * 1024  # the memory cache's bound, per worker process
    duckdb_threads: int = 1  # per query: under load, requests run side by side instead
    tiles_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    tiles_attribution: str = "&copy; OpenStreetMap contributors"
    server_timing: str = ""  # "wall" or "cpu": a Server-Timing header on every response (kmzb.timing), for benchmarks

    @property
    def cache_enabled(self) -> bool:
        return self.cache_kind != "off"

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "store"

    @property
    def runs_dir(self) -> Path:
        return self.data_dir / "runs"

    @property
    def assets_geo_dir(self) -> Path:
        return PROJECT_ROOT / "assets" / "geo"


def _cache_kind(raw: str) -> str:
    v = raw.strip().lower()
    if v in ("off", "none", "0", "no"):
        return "off"
    if v in ("", "on", "memory", "1", "yes"):
        return "memory"
    if v == "file":
        return "file"
    raise SystemExit(f"KMZB_CACHE must be memory, file or off, got {raw!r}")


def _timing_mode(raw: str) -> str:
    v = raw.strip().lower()
    if v in ("", "0", "off", "no"):
        return ""
    if v in ("1", "on", "yes", "wall"):
        return "wall"
    if v == "cpu":
        return "cpu"
    raise SystemExit(f"KMZB_SERVER_TIMING must be off, wall or cpu, got {raw!r}")


def env_int(name: str, default: int, env=None) -> int:
    """A whole number >= 1 from the environment, or the default when unset; anything else stops
    the program with a message naming the variable."""
    raw = (os.environ if env is None else env).get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from None
    if value < 1:
        raise SystemExit(f"{name} must be at least 1, got {value}")
    return value


def get_settings(**overrides) -> Settings:
    """Build the settings from the environment; keyword overrides win."""
    env = os.environ
    data_dir = Path(overrides.pop("data_dir", None) or env.get("KMZB_DATA_DIR") or PROJECT_ROOT / "data")
    geo_dir = Path(overrides.pop("geo_dir", None) or env.get("KMZB_GEO_DIR") or PROJECT_ROOT.parent / "shared" / "geo")
    values = dict(
        data_dir=data_dir.resolve(),
        geo_dir=geo_dir.resolve(),
        cache_url=env.get("KMZB_CACHE_URL") or None,
        cache_kind=_cache_kind(env.get("KMZB_CACHE", "memory")),
        cache_entries=env_int("KMZB_CACHE_ENTRIES", 1000, env),
        cache_bytes=env_int("KMZB_CACHE_BYTES", Settings.cache_bytes, env),
        duckdb_threads=env_int("KMZB_DUCKDB_THREADS", 1, env),
        cache_dir=Path(env["KMZB_CACHE_DIR"]) if env.get("KMZB_CACHE_DIR") else data_dir.resolve() / "cache",
        tiles_url=env.get("KMZB_TILES_URL", Settings.tiles_url),
        tiles_attribution=env.get("KMZB_TILES_ATTRIBUTION", Settings.tiles_attribution),
        server_timing=_timing_mode(env.get("KMZB_SERVER_TIMING", "")),
    )
    values.update(overrides)
    return Settings(**values)
