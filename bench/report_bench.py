#!/usr/bin/env python3
"""Benchmark of the report queries (a benchmark, not a test).

Builds a fresh database (real migrations, the District 1 demo), loads N synthetic SIPAS
responses spread over one year across the demo units, then times the full-year report of
the city with all its units — the service every page, export and API call uses — and
the same report through the JSON API. Then grows the data (default to 5,000,000) and times
it again. Target: at most 0.5 s, and at most 1.5x slower after growing.

    .venv/bin/python bench/report_bench.py --db both --write BENCHMARKS.md
    .venv/bin/python bench/report_bench.py --db sqlite --responses 100000 --grow-to 300000
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "satisfaction_report_bench"
TARGET_SECONDS = 0.5
TARGET_GROWTH = 1.5
BEGIN, END = "<!-- report_bench:begin -->", "<!-- report_bench:end -->"


def database(kind: str, workdir: Path, name: str = PG_DB) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir}/{name}.db"
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop(kind: str, name: str = PG_DB) -> None:
    if kind == "postgresql":
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def prepare(url: str) -> None:
    env = {**os.environ, "APP_ENV": "production", "SECRET_KEY": "b" * 48,
           "DATABASE_URL": url, "FLASK_APP": "wsgi"}
    for args in (["db", "upgrade"], ["seed", "demo"],
                 ["users", "create", "--email", "bench@q1.example.vn", "--role", "reviewer"]):
        subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=600)


def analyze() -> None:
    """Fresh planner statistics after a bulk load (inside an app context)."""
    import sqlalchemy as sa

    from satisfaction.extensions import db

    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(sa.text("ANALYZE"))
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


def write_section(path: Path, text: str, begin: str, end: str) -> None:
    """Replace (or append) the section between ``begin`` and ``end`` of a markdown file."""
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if begin in current:
        current = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: text, current,
                         flags=re.S)
    else:
        current = current.rstrip() + "\n\n" + text + "\n"
    path.write_text(current, encoding="utf-8")


def load(app, count: int, seed: int) -> float:
    import sqlalchemy as sa

    from satisfaction.db.catalogue import Questionnaire
    from satisfaction.demo.synthetic import generate
    from satisfaction.extensions import db

    started = time.perf_counter()
    with app.app_context():
        version = db.session.scalar(
            sa.select(Questionnaire).where(Questionnaire.code == "sipas-2640")
        ).versions[-1]

        def progress(made):
            print(f"\r  loading {made:,}/{count:,}", end="", flush=True)

        generate(version.id, count, date(2025, 1, 1), date(2025, 12, 31), seed=seed,
                 batch=50_000, progress=progress)
        db.session.commit()
        analyze()
    print()
    return time.perf_counter() - started


def grow(app, factor: int) -> float:
    """Copies every response (and its answers) ``factor - 1`` times with new ids, and
    scales the counts to match: the data grows, the days, units and criteria do not.
    Much faster than generating millions more, and the same for the report."""
    import sqlalchemy as sa

    from satisfaction.extensions import db

    started = time.perf_counter()
    columns = ("questionnaire_version_id, unit_id, counter_id, qr_token_id, procedure_field_id,"
               " respondent_kind, channel, locale, submitted_at, comment, status")
    with app.app_context():
        connection = db.session.connection()
        top = connection.execute(sa.text("SELECT max(id) FROM response")).scalar()
        for copy in range(1, factor):
            print(f"\r  copy {copy}/{factor - 1}", end="", flush=True)
            offset = copy * top
            connection.execute(sa.text(
                f"INSERT INTO response (id, submission_key, {columns}) "
                f"SELECT id + {offset}, submission_key || '-{copy}', {columns} "
                f"FROM response WHERE id <= {top}"))
            connection.execute(sa.text(
                f"INSERT INTO answer (response_id, item_code, value) "
                f"SELECT response_id + {offset}, item_code, value FROM answer "
                f"WHERE response_id <= {top}"))
        for table in ("daily_count", "monthly_count", "daily_response_count",
                      "monthly_response_count"):
            connection.execute(sa.text(f"UPDATE {table} SET count = count * {factor}"))
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT setval(pg_get_serial_sequence('response', 'id'),"
                                       " (SELECT max(id) FROM response))"))
        db.session.commit()
        analyze()
    print()
    return time.perf_counter() - started


def measure(app, token: str, runs: int) -> dict:
    import sqlalchemy as sa

    from satisfaction.accounts.access import SYSTEM_SCOPE
    from satisfaction.db.counts import DailyCount
    from satisfaction.db.responses import Response
    from satisfaction.extensions import db
    from satisfaction.indices.periods import year
    from satisfaction.reporting.reports import unit_report

    service, api = [], []
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    with app.app_context():
        responses = db.session.scalar(sa.select(sa.func.count()).select_from(Response))
        count_rows = db.session.scalar(sa.select(sa.func.count()).select_from(DailyCount))
        for i in range(runs + 1):
            db.session.remove()
            started = time.perf_counter()
            report = unit_report(SYSTEM_SCOPE, "sipas", "HCM", year(2025))
            elapsed = time.perf_counter() - started
            if i:
                service.append(elapsed)
        value, units = report.result.value, len(report.children)
    for i in range(runs + 1):
        started = time.perf_counter()
        reply = client.get("/api/v1/indicators?index=sipas&unit=HCM&period=2025",
                           headers=headers)
        elapsed = time.perf_counter() - started
        assert reply.status_code == 200, reply.data[:300]
        if i:
            api.append(elapsed)
    assert reply.json["responses"] == responses, (reply.json["responses"], responses)
    return {
        "responses": responses, "count_rows": count_rows, "value": value, "units": units,
        "service_median": statistics.median(service), "service_max": max(service),
        "api_median": statistics.median(api), "api_max": max(api),
    }


def run(kind: str, args, workdir: Path) -> dict:
    from satisfaction.app import create_app

    url = database(kind, workdir)
    try:
        prepare(url)
        env_token = subprocess.run(
            [str(BIN / "flask"), "users", "token", "--email", "bench@q1.example.vn"],
            cwd=ROOT, env={**os.environ, "APP_ENV": "production", "SECRET_KEY": "b" * 48,
                           "DATABASE_URL": url, "FLASK_APP": "wsgi"},
            check=True, capture_output=True, text=True).stdout.strip()
        app = create_app({"APP_ENV": "production", "SECRET_KEY": "b" * 48,
                          "SQLALCHEMY_DATABASE_URI": url})
        print(f"[{kind}] loading {args.responses:,} responses")
        first_load = load(app, args.responses, seed=1)
        small = measure(app, env_token, args.runs)
        print(f"[{kind}] {small}")
        factor = args.grow_to // args.responses
        print(f"[{kind}] growing {factor}x to {args.responses * factor:,}")
        second_load = grow(app, factor)
        big = measure(app, env_token, args.runs)
        print(f"[{kind}] {big}")
        with app.app_context():
            from satisfaction.extensions import db

            version = db.session.connection().dialect.server_version_info
            db.engine.dispose()
        return {"kind": kind, "small": small, "big": big, "version": version,
                "load_seconds": (first_load, second_load)}
    finally:
        drop(kind)


def section(results: list[dict], args) -> str:
    lines = [
        BEGIN,
        "## Report queries: the city's full-year SIPAS report",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {os.cpu_count()} CPUs, CPython {platform.python_version()}",
        f"- Command: `python bench/report_bench.py --db {args.db} --responses {args.responses} "
        f"--grow-to {args.grow_to} --runs {args.runs}`",
        "- Data: synthetic SIPAS (QĐ 2640) responses, 22 criteria, spread over 2025 across "
        "the demo's units as they existed (District 1, its offices and 10 wards until 30 June, "
        "the 4 new wards after; the city's departments); the report is the city "
        "rolled up over all units, with its direct units ranked, the monthly trend, the "
        "previous year and the latest comments.",
        f"- Timing: median and worst of {args.runs} runs after one warm-up; 'service' is "
        "`reports.unit_report` (what the page, the exports and the API call), 'API' is "
        "`GET /api/v1/indicators` through the app including JSON.",
        "",
        "| database | responses | count rows | service median / max s | API median / max s |"
        " within 0.5 s |",
        "|---|---|---|---|---|---|",
    ]
    verdicts = []
    for r in results:
        for size in ("small", "big"):
            m = r[size]
            ok = m["api_max"] <= TARGET_SECONDS
            verdicts.append(ok)
            lines.append(
                f"| {r['kind']} | {m['responses']:,} | {m['count_rows']:,} | "
                f"{m['service_median']:.3f} / {m['service_max']:.3f} | "
                f"{m['api_median']:.3f} / {m['api_max']:.3f} | {'PASS' if ok else 'FAIL'} |"
            )
    lines += ["", "| database | growth of the API median (5x the responses) | at most 1.5x |",
              "|---|---|---|"]
    for r in results:
        growth = r["big"]["api_median"] / r["small"]["api_median"]
        lines.append(f"| {r['kind']} | {growth:.2f}x | "
                     f"{'PASS' if growth <= TARGET_GROWTH else 'FAIL'} |")
    lines += ["", "The data grows by copying every response and its answers with new ids (and "
              "scaling the counts to match): the volume of responses grows 5x while the days, "
              "units and criteria stay the same, which is what the target is about."]
    if all(r.get("load_seconds") for r in results):
        lines += ["", "Loading time (synthetic bulk load + copies, not the product's submit "
                  "path): " + ", ".join(
                      f"{r['kind']} {r['load_seconds'][0]:.0f} s + {r['load_seconds'][1]:.0f} s"
                      for r in results) + "."]
    lines.append(END)
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--grow-to", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = []
    with tempfile.TemporaryDirectory(prefix="report-bench-") as workdir:
        for kind in kinds:
            results.append(run(kind, args, Path(workdir)))
    text = section(results, args)
    print(text)
    if args.write:
        write_section(args.write, text, BEGIN, END)
    ok = all(r[s]["api_max"] <= TARGET_SECONDS for r in results for s in ("small", "big"))
    ok = ok and all(r["big"]["api_median"] / r["small"]["api_median"] <= TARGET_GROWTH
                    for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
