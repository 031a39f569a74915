"""Command line: python -m kmzb {ingest,demo,info,geo,users}."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from kmzb.config import get_settings


def _err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _ingest_progress(args):
    """A bar on a terminal; a plain line per file in logs; nothing beside --json."""
    from kmzb.ingest.progress import Bar, Lines, Silent

    if args.json:
        return Silent()
    return Bar() if sys.stderr.isatty() else Lines(_err)


def cmd_ingest(args) -> int:
    from kmzb.ingest.run import run_ingest
    from kmzb.store import IngestLocked, StoreError

    settings = get_settings()
    missing = [p for p in args.files if not Path(p).exists()]
    if missing:
        _err(f"error: no such file or directory: {', '.join(missing)}")
        return 2
    try:
        result = run_ingest(settings, args.files, force=args.force, log=_err, progress=_ingest_progress(args))
    except IngestLocked as e:
        _err(f"error: {e}")
        return 3
    except StoreError as e:  # e.g. the current snapshot is damaged: nothing was ingested
        _err(f"error: {e}")
        return 4
    if not result.files:
        _err("error: no extract files found (names must be kmzb_YYYYMMDD.csv[.gz] or kmzb_full_YYYYMMDD.csv[.gz])")
        return 2
    _err(f"run {result.run_id}: {'published data version ' + result.version if result.published else 'nothing published'}; "
         f"{result.reports:,} reports in store; report {result.report_path}"
         + (f"; rejects {result.rejects_path}" if result.rejects_path else ""))
    if args.json:
        out = {
            "files": [{"file": f.file, "rows": f.rows, "loaded": f.loaded, "rejected": f.rejected,
                       "reasons": f.reasons, **({"error": f.error} if f.error else {}),
                       "kind": f.kind, "encoding": f.encoding, "mismatches": f.mismatches,
                       "inserted": f.inserted, "updated": f.updated, "removed": f.removed,
                       "warnings": f.warnings} for f in result.files],
            "reports": result.reports,
            "version": result.version,
            "report": str(result.report_path),
            "rejects": str(result.rejects_path) if result.rejects_path else None,
        }
        print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0 if result.ok else 1


def cmd_demo(args) -> int:
    from kmzb import demo
    from kmzb.demo.progress import reporter
    from kmzb.ingest.run import run_ingest

    settings = get_settings()
    out_dir = Path(args.out) if args.out else settings.data_dir / "demo"
    end = date.fromisoformat(args.end) if args.end else date.today()
    _err(f"generating demo extracts into {out_dir} (seed {args.seed}, {args.days} days to {end}, scale {args.scale})")
    paths = demo.generate(out_dir, geo_dir=settings.geo_dir, end=end, days=args.days, scale=args.scale,
                          deltas=args.deltas, seed=args.seed, progress=reporter(sys.stderr))
    if args.no_ingest:
        for p in paths:
            print(p)
        return 0
    from kmzb.store import IngestLocked, StoreError

    try:
        result = run_ingest(settings, paths, force=True, log=_err)
    except IngestLocked as e:
        _err(f"error: {e}")
        return 3
    except StoreError as e:  # e.g. the current snapshot is damaged
        _err(f"error: {e}")
        return 4
    _err(f"demo data loaded: {result.reports:,} reports, data version {result.version}")
    # the demo holds deliberately bad rows; those are rejected, which is success here
    return 0 if result.published else 1


def cmd_info(args) -> int:

    from kmzb.ingest.run import recent_runs
    from kmzb.store import Store

    settings = get_settings()
    store = Store(settings.store_dir)
    snap = store.current()
    info: dict = {"data_dir": str(settings.data_dir), "geo_dir": str(settings.geo_dir)}
    if snap is None:
        info["data_version"] = None
        info["message"] = "no data loaded yet: run `python -m kmzb demo` or `python -m kmzb ingest FILE`"
    else:
        from kmzb.query import queries
        from kmzb.store import StoreError

        try:  # what a reader would serve: the current snapshot, or the newest readable older one
            served, _con = store.served()
            con, _version = store.cursor()
        except StoreError as e:
            _err(f"error: {e}")
            return 4
        info.update(queries.meta(con))
        info["by_outcome"] = dict(con.execute(
            "SELECT outcome::VARCHAR, count(*) FROM reports GROUP BY 1 ORDER BY 1").fetchall())
        info["teryt_mismatches"] = con.execute("SELECT count(*) FROM reports WHERE teryt_mismatch").fetchone()[0]
        info["snapshot"] = str(served.path)
        if served.path != snap.path:
            info["warning"] = f"{snap.path.name} (named by CURRENT) cannot be read; serving {served.path.name}"
            _err("warning: " + info["warning"])
    runs = recent_runs(settings, args.runs)
    info["recent_runs"] = [{
        "run_id": r["run_id"], "published": r.get("published"), "version": r.get("version"),
        "files": [{"file": Path(f["file"]).name, "rows": f["rows"], "loaded": f["loaded"], "rejected": f["rejected"],
                   "reasons": f.get("reasons", {}), "error": f.get("error")} for f in r["files"]],
        "rejects": r.get("rejects"),
    } for r in runs]
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2, default=str))
        return 0
    print(f"data directory: {info['data_dir']}")
    if info.get("data_version") is None:
        print(info.get("message"))
    else:
        print(f"data version:   {info['data_version']} (published {info['published_at']})")
        print(f"reports:        {info['reports']:,} created {info['date_from']} – {info['date_to']}")
        print("by outcome:     " + ", ".join(f"{k} {v:,}" for k, v in info["by_outcome"].items()))
        print(f"TERYT mismatches (point wins): {info['teryt_mismatches']:,}")
    print("recent runs:")
    for r in info["recent_runs"]:
        state = f"published {r['version']}" if r["published"] else "nothing published"
        print(f"  {r['run_id']}: {state}")
        for f in r["files"]:
            if f["error"]:
                print(f"    {f['file']}: FAILED: {f['error']}")
            else:
                reasons = ", ".join(f"{k} {v}" for k, v in f["reasons"].items())
                print(f"    {f['file']}: {f['rows']:,} rows, {f['loaded']:,} loaded, {f['rejected']:,} rejected"
                      + (f" ({reasons})" if reasons else ""))
        if r["rejects"]:
            print(f"    rejects: {r['rejects']}")
    return 0


def cmd_geo(args) -> int:
    from kmzb.geo.assets import ensure_map_assets

    manifest = ensure_map_assets(get_settings())
    print(json.dumps(manifest, ensure_ascii=False, indent=2))
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m kmzb", description="KMZB analytics: data tools")
    sub = p.add_subparsers(dest="cmd", required=True)
    pi = sub.add_parser("ingest", help="ingest extract files (or directories of them) in the order given")
    pi.add_argument("files", nargs="+", metavar="FILE_OR_DIR")
    pi.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    pi.add_argument("--force", action="store_true", help="accept a full snapshot that removes over 5%% of reports")
    pi.set_defaults(fn=cmd_ingest)
    pd_ = sub.add_parser("demo", help="generate demo extracts and ingest them")
    pd_.add_argument("--seed", type=int, default=2016)
    pd_.add_argument("--days", type=int, default=1095)
    pd_.add_argument("--scale", type=float, default=1.0)
    pd_.add_argument("--deltas", type=int, default=120)
    pd_.add_argument("--end", help="last day covered (YYYY-MM-DD; default today)")
    pd_.add_argument("--out", help="where to write the extracts (default $KMZB_DATA_DIR/demo)")
    pd_.add_argument("--no-ingest", action="store_true", help="only write the files")
    pd_.set_defaults(fn=cmd_demo)
    pn = sub.add_parser("info", help="what is loaded")
    pn.add_argument("--json", action="store_true")
    pn.add_argument("--runs", type=int, default=5)
    pn.set_defaults(fn=cmd_info)
    pg = sub.add_parser("geo", help="build the map's simplified boundary files")
    pg.set_defaults(fn=cmd_geo)
    from kmzb.accounts.users import add_cli as add_users_cli

    add_users_cli(sub)  # python -m kmzb users {add,remove,list}
    args = p.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
