#!/usr/bin/env python3
"""Benchmark of `flask alerts replay` and of the daily check that reads the same year (a
benchmark, not a test).

On a fresh database (real migrations): ``flask seed scale --units N`` (N wards and
communes under one city or in provinces, the demo's SIPAS rule: the index and its 5
elements watched day by day) with R synthetic responses spread over the two years before
the last day, so that the replay's year and the year before it (where each unit's watch
starts) are both full. Times the replay of a year of daily checks over every unit (target:
at most 60 s for 1,000 units), then one check as of the last day (it reads the same year).

    .venv/bin/python bench/replay_bench.py --db both --write BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from report_bench import analyze, database, drop, write_section  # noqa: E402
from scale_bench import fresh_app  # noqa: E402

BEGIN, END = "<!-- replay_bench:begin -->", "<!-- replay_bench:end -->"
LAST = date(2025, 12, 31)
FIRST = LAST - timedelta(days=364)
PG_DB = "satisfaction_replay_bench"
TARGET = 60.0


def run(kind: str, args, workdir: Path) -> dict:
    from satisfaction.alerts.check import check
    from satisfaction.alerts.replays import replay_rules
    from satisfaction.demo.scale import seed_scale
    from satisfaction.extensions import db

    url = database(kind, workdir, PG_DB)
    try:
        app = fresh_app(url)
        with app.app_context():
            started = time.perf_counter()
            units = seed_scale(args.units, args.responses, FIRST - timedelta(days=365), LAST)
            db.session.commit()
            analyze()
            load = time.perf_counter() - started
            print(f"[{kind}] {units} units, {args.responses:,} responses in {load:.0f} s")
            started = time.perf_counter()
            result = replay_rules(FIRST, LAST)
            replayed = time.perf_counter() - started
            db.session.rollback()
            episodes = [e for rule in result["rules"] for e in rule["episodes"]]
            judged = result["rules"][0]["units"]
            started = time.perf_counter()
            report = check(LAST)
            checked = time.perf_counter() - started
            db.session.rollback()
            db.engine.dispose()
        with_episodes = len({e["unit"] for e in episodes})
        print(f"[{kind}] replay {replayed:.1f} s ({len(episodes)} episodes in "
              f"{with_episodes} units), check {checked:.1f} s")
        return {"kind": kind, "units": judged, "replay": replayed, "check": checked,
                "episodes": len(episodes), "with": with_episodes,
                "opened": len(report.opened), "load": load, "rules": len(result["rules"])}
    finally:
        drop(kind, PG_DB)


def section(results: list[dict], args) -> str:
    lines = [BEGIN, "## `flask alerts replay`: a year of daily checks over 1,000 units", "",
             f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs, "
             f"CPython {platform.python_version()}",
             f"- Command: `python bench/replay_bench.py --db {args.db} --units {args.units} "
             f"--responses {args.responses}`",
             f"- Data: `flask seed scale --units {args.units}` (one ward in fifty at 80 %, the "
             f"others 90-96 %), {args.responses:,} synthetic SIPAS responses from "
             f"{FIRST - timedelta(days=365)} to {LAST}; the demo's two rules (QĐ 2640 and QĐ "
             f"1001, each watching the index and its 5 elements). Replay from {FIRST} to "
             f"{LAST}; then one check as of {LAST}, both in-process.", "",
             "| database | units judged | replay s | episodes (units) | check s "
             f"(alerts opened) | replay within {TARGET:.0f} s |",
             "|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['kind']} | {r['units']:,} | {r['replay']:.1f} | {r['episodes']} "
                     f"({r['with']}) | {r['check']:.1f} ({r['opened']}) | "
                     f"{'PASS' if r['replay'] <= TARGET else 'FAIL'} |")
    lines.append(END)
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--responses", type=int, default=1_200_000)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    with tempfile.TemporaryDirectory(prefix="replay-bench-") as workdir:
        results = [run(kind, args, Path(workdir)) for kind in kinds]
    text = section(results, args)
    print(text)
    if args.write:
        write_section(args.write, text, BEGIN, END)
    return 0 if all(r["replay"] <= TARGET for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
