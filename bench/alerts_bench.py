#!/usr/bin/env python3
"""Benchmark of `flask alerts check` (a benchmark, not a test).

1,000 units (wards under the demo city, each with a counter) and N synthetic SIPAS
responses over the 30 days before the check; the demo's two rules (QĐ 2640 and QĐ 1001),
each watching every unit's index and 5 elements day by day over the year before the check,
with the 22 criteria's values over the 30-day window as evidence. Times the check
(evaluation, alerts opened, notifications queued; no SMTP server, so sending fails fast and
is kept for later) on a fresh database. Target: at most 5 s for 1,000 units.

    .venv/bin/python bench/alerts_bench.py --db both --write BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from report_bench import database, drop, prepare, write_section  # noqa: E402

BEGIN, END = "<!-- alerts_bench:begin -->", "<!-- alerts_bench:end -->"
TODAY = date(2025, 12, 31)
PG_DB = "satisfaction_alerts_bench"


def build(app, units: int, responses: int) -> float:
    import sqlalchemy as sa

    from satisfaction.db.catalogue import Questionnaire
    from satisfaction.db.units import Counter, Unit
    from satisfaction.demo.synthetic import Place, generate
    from satisfaction.extensions import db

    started = time.perf_counter()
    rng = random.Random(7)
    with app.app_context():
        district = db.session.scalar(sa.select(Unit).where(Unit.code == "HCM"))
        places = []
        for i in range(units):
            unit = Unit(code=f"B{i:04d}", kind="ward", name_vi=f"Phường {i}",
                        name_en=f"Ward {i}", parent_id=district.id,
                        valid_from=date(2000, 1, 1), email=f"b{i}@example.vn")
            db.session.add(unit)
            db.session.flush()
            counter = Counter(unit_id=unit.id, code="MC1", name_vi="Một cửa", name_en="Counter")
            db.session.add(counter)
            db.session.flush()
            # Most wards near the target; a few clearly below.
            share = 0.80 if i % 50 == 0 else rng.uniform(0.9, 0.96)
            places.append(Place(unit.id, counter.id, share))
        version = db.session.scalar(
            sa.select(Questionnaire).where(Questionnaire.code == "sipas-2640")).versions[-1]
        generate(version.id, responses, TODAY - timedelta(days=29), TODAY, places=places,
                 seed=3, batch=50_000)
        db.session.commit()
    return time.perf_counter() - started


def run(kind: str, args, workdir: Path) -> dict:
    from satisfaction.alerts.check import check
    from satisfaction.app import create_app
    from satisfaction.extensions import db

    url = database(kind, workdir, PG_DB)
    try:
        prepare(url)
        app = create_app({"APP_ENV": "production", "SECRET_KEY": "b" * 48,
                          "SQLALCHEMY_DATABASE_URI": url})
        load_seconds = build(app, args.units, args.responses)
        with app.app_context():
            started = time.perf_counter()
            report = check(TODAY)
            db.session.commit()
            first = time.perf_counter() - started
            started = time.perf_counter()
            again = check(TODAY)
            db.session.commit()
            second = time.perf_counter() - started
            db.engine.dispose()
        print(f"[{kind}] first {first:.2f}s ({len(report.opened)} opened), "
              f"second {second:.2f}s ({again.still_open} still open)")
        return {"kind": kind, "first": first, "second": second,
                "opened": len(report.opened), "still_open": again.still_open,
                "load": load_seconds}
    finally:
        drop(kind, PG_DB)


def section(results, args) -> str:
    lines = [BEGIN, f"## `flask alerts check`: {args.units:,} units, watched day by day", "",
             f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs, "
             f"CPython {platform.python_version()}",
             f"- Command: `python bench/alerts_bench.py --db {args.db} --units {args.units} "
             f"--responses {args.responses}`",
             f"- Data: {args.units:,} wards, {args.responses:,} synthetic SIPAS responses in the "
             "30 days checked; the demo's two rules (QĐ 2640, QĐ 1001: 90 %, a 7-point drop, "
             "one false alert in 5 years, n ≥ 30), each watching every unit's index and 5 "
             "elements over the year before the check, the 30-day window's 28 measures as "
             "evidence. The check is timed in-process, without the SMTP delivery step.", "",
             "| database | first check s (alerts opened) | second check s (nothing new) "
             "| within 5 s |",
             "|---|---|---|---|"]
    for r in results:
        ok = max(r["first"], r["second"]) <= 5
        lines.append(f"| {r['kind']} | {r['first']:.2f} ({r['opened']}) | "
                     f"{r['second']:.2f} ({r['still_open']} still open) | "
                     f"{'PASS' if ok else 'FAIL'} |")
    lines.append(END)
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    with tempfile.TemporaryDirectory(prefix="alerts-bench-") as workdir:
        results = [run(kind, args, Path(workdir)) for kind in kinds]
    text = section(results, args)
    print(text)
    if args.write:
        write_section(args.write, text, BEGIN, END)
    return 0 if all(max(r["first"], r["second"]) <= 5 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
