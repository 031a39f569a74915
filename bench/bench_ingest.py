"""Ingest benchmark: a 3,000,000-report full snapshot into a fresh store, then a 5,000-row delta on top.

    python bench/bench_ingest.py [--regenerate]

Generates the extracts once into bench/out/data/ (bench/gen_big.py; reused while bench/out/data/gen.json
matches), deletes bench/out/store3m, runs `python -m kmzb ingest --json FILE` there as a subprocess under
`/usr/bin/time -v` (wall clock + peak RSS), and keeps the store for bench_api.py / bench_dashboard.py.
Targets: full 3M <= 20 s and <= 1,500 MB peak RSS, delta <= 5 s. Result: bench/out/ingest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DATA,
    DELTA_FILE,
    FULL_FILE,
    GEN,
    PY,
    ROOT,
    STORE,
    check,
    geo_dir,
    write_result,
)

TARGET_FULL_S = 20.0
TARGET_FULL_RSS_MB = 1500.0
TARGET_DELTA_S = 5.0
TIME = "/usr/bin/time"


def ensure_data(regenerate: bool = False) -> dict:
    """The 3M snapshot + delta, generated once (checked against a marker of the generator's arguments)."""
    marker = DATA / "gen.json"
    want = {**GEN, "full": FULL_FILE.name, "delta": DELTA_FILE.name}
    if not regenerate and marker.exists() and FULL_FILE.exists() and DELTA_FILE.exists():
        try:
            have = json.loads(marker.read_text())
        except json.JSONDecodeError:
            have = {}
        if {k: have.get(k) for k in want} == want:
            return {**have, "reused": True}
    DATA.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    tmp = DATA / ".gen-tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    cmd = [PY, str(ROOT / "bench" / "gen_big.py"), str(tmp / FULL_FILE.name), "--reports", str(GEN["reports"]),
           "--years", str(GEN["years"]), "--end", GEN["end"], "--seed", str(GEN["seed"]), "--delta", str(tmp / DELTA_FILE.name),
           "--delta-rows", str(GEN["delta_rows"])]
    print("generating:", " ".join(cmd), flush=True)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT)
    took = time.perf_counter() - t
    os.replace(tmp / FULL_FILE.name, FULL_FILE)
    os.replace(tmp / DELTA_FILE.name, DELTA_FILE)
    shutil.rmtree(tmp, ignore_errors=True)
    info = {**want, "generate_seconds": round(took, 1), "full_bytes": FULL_FILE.stat().st_size,
            "delta_bytes": DELTA_FILE.stat().st_size}
    marker.write_text(json.dumps(info, indent=2))
    return {**info, "reused": False}


def timed_ingest(path: Path) -> dict:
    """`python -m kmzb ingest --json PATH` on the benchmark store: wall clock, peak RSS, its JSON summary."""
    env = {**os.environ, "KMZB_DATA_DIR": str(STORE), "KMZB_GEO_DIR": geo_dir()}
    cmd = [PY, "-m", "kmzb", "ingest", "--json", str(path)]
    use_time = os.access(TIME, os.X_OK)
    full_cmd = ([TIME, "-v"] if use_time else []) + cmd
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    proc = subprocess.run(full_cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"ingest of {path} failed with exit code {proc.returncode}")
    peak_kb = None
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    if m:
        peak_kb = int(m.group(1))
    else:  # fallback: the largest child so far (only meaningful when it grew)
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        peak_kb = after if after > before else None
    cpu = [float(v) for v in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", proc.stderr)]
    summary = json.loads(proc.stdout)
    log = [ln for ln in proc.stderr.splitlines() if ln and not ln.startswith("\t")]
    per_file, run_steps = [], {}
    try:  # the run report holds each file's own time (read + validate + apply) by step, and the run's
        report = json.loads(Path(summary["report"]).read_text())
        per_file = [{"file": Path(f["file"]).name, "seconds": f.get("seconds"), "steps": f.get("steps", {}),
                     "cpu": f.get("cpu", {}), "peak_mb": f.get("peak_mb", {})} for f in report["files"]]
        run_steps = {"steps": report.get("steps", {}), "cpu": report.get("cpu", {}),
                     "peak_mb": report.get("peak_mb", {})}
    except (OSError, KeyError, json.JSONDecodeError):
        pass
    f0 = summary["files"][0]
    return {"command": " ".join(cmd), "wall_seconds": round(wall, 2),
            "peak_rss_mb": round(peak_kb / 1024, 1) if peak_kb else None,
            "rows": f0["rows"], "loaded": f0["loaded"], "rejected": f0["rejected"], "inserted": f0["inserted"],
            "updated": f0["updated"], "reports_in_store": summary["reports"], "version": summary["version"],
            "rows_per_second": round(f0["rows"] / wall) if wall else None,
            "cpu_seconds": round(sum(cpu), 2) if len(cpu) == 2 else None,  # user + system, every thread
            "file_seconds": per_file, "run_steps": run_steps, "log": log[:6]}


def _steps_line(run: dict, kind: str = "steps") -> str:
    """The run's steps and its file's, in the order they ran: 'geo 0.4, copy 0.0, read 7.1, ...'
    (kind: "steps" wall seconds, "cpu" CPU seconds of every thread)."""
    steps = {k: v for k, v in run["run_steps"].get(kind, {}).items() if k != "files"}
    ordered = [(k, v) for k, v in steps.items() if k in ("geo", "copy")]
    for f in run["file_seconds"]:
        ordered += list(f.get(kind, {}).items())
    ordered += [(k, v) for k, v in steps.items() if k not in ("geo", "copy")]
    return ", ".join(f"{k} {v:.2f}" for k, v in ordered)


def snapshot_size() -> tuple[str, int]:
    name = (STORE / "store" / "CURRENT").read_text().strip()
    p = STORE / "store" / name
    return str(p), p.stat().st_size


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--regenerate", action="store_true", help="write the extracts again even if cached")
    args = ap.parse_args(argv)

    gen = ensure_data(args.regenerate)
    print(f"extracts: {FULL_FILE.name} ({FULL_FILE.stat().st_size / 1e6:.1f} MB), "
          f"{DELTA_FILE.name} ({DELTA_FILE.stat().st_size / 1e6:.2f} MB)"
          + (" [cached]" if gen.get("reused") else f" [generated in {gen['generate_seconds']} s]"), flush=True)

    shutil.rmtree(STORE, ignore_errors=True)
    print(f"ingesting the full snapshot into a fresh store {STORE} ...", flush=True)
    full = timed_ingest(FULL_FILE)
    snap_path, snap_bytes = snapshot_size()
    print(f"  full: {full['rows']:,} rows in {full['wall_seconds']:.1f} s = {full['rows_per_second']:,} rows/s, "
          f"peak RSS {full['peak_rss_mb']} MB, CPU {full['cpu_seconds']} s, snapshot {snap_bytes / 1e6:.1f} MB",
          flush=True)
    print("  steps, wall s:", _steps_line(full), flush=True)
    print("  steps, CPU s: ", _steps_line(full, "cpu"), flush=True)

    print("ingesting the delta on top ...", flush=True)
    delta = timed_ingest(DELTA_FILE)
    snap_path2, snap_bytes2 = snapshot_size()
    print(f"  delta: {delta['rows']:,} rows ({delta['inserted']:,} new, {delta['updated']:,} updated) in "
          f"{delta['wall_seconds']:.2f} s, peak RSS {delta['peak_rss_mb']} MB, snapshot {snap_bytes2 / 1e6:.1f} MB",
          flush=True)
    print("  steps, wall s:", _steps_line(delta), flush=True)
    print("  steps, CPU s: ", _steps_line(delta, "cpu"), flush=True)

    result = {
        "generator": gen,
        "full": {**full, "snapshot": snap_path, "snapshot_bytes": snap_bytes, "input_bytes": FULL_FILE.stat().st_size},
        "delta": {**delta, "snapshot": snap_path2, "snapshot_bytes": snap_bytes2,
                  "input_bytes": DELTA_FILE.stat().st_size},
        "targets": {"full_seconds": TARGET_FULL_S, "full_peak_rss_mb": TARGET_FULL_RSS_MB,
                    "delta_seconds": TARGET_DELTA_S},
        "pass": {"full": check(full["wall_seconds"], TARGET_FULL_S), "delta": check(delta["wall_seconds"], TARGET_DELTA_S),
                 "full_rss": full["peak_rss_mb"] is not None and full["peak_rss_mb"] <= TARGET_FULL_RSS_MB},
        "store": str(STORE),
    }
    path = write_result("ingest", result)
    for k in ("full", "delta"):
        print(f"{k}: {result[k]['wall_seconds']:.2f} s (target <= {result['targets'][f'{k}_seconds']:g} s) "
              f"{'PASS' if result['pass'][k] else 'FAIL'}")
    print(f"full peak RSS: {full['peak_rss_mb']} MB (target <= {TARGET_FULL_RSS_MB:g} MB) "
          f"{'PASS' if result['pass']['full_rss'] else 'FAIL'}")
    print(f"result: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
