#!/usr/bin/env python3
"""Benchmark of one deployment holding a city or the country (a benchmark, not a test).

For each database, on a fresh schema (real migrations):

1. the country's unit list: `flask units import` of 3,321 wards and communes in 34
   provinces (``demo.scale.unit_list``), first on an empty database, then again (nothing
   changes); target at most 10 s;
2. the alerts check over those 3,321 units: every unit with a counter, N synthetic SIPAS
   responses in the 30 days checked, the default rule (90 %, 30 days, n >= 30, BH 5 %) on
   the index, its 5 elements and 22 criteria; target at most 10 s;
3. the city: 168 wards and communes (``flask seed scale --units 168``), M responses over
   2025 grown to 5,000,000 by copying, then the city's full-year report: the service
   every page, export and API call uses, the API, the reviewer's report page (the units
   ranked and the monthly trend) and its Excel export; target at most 0.5 s.

    .venv/bin/python bench/scale_bench.py --db both --write BENCHMARKS.md
    .venv/bin/python bench/scale_bench.py --db sqlite --alert-responses 100000 \\
        --city-responses 100000 --grow-to 200000         # a quick look
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from report_bench import analyze, database, drop, grow, write_section  # noqa: E402

BEGIN, END = "<!-- scale_bench:begin -->", "<!-- scale_bench:end -->"
COUNTRY_DB, CITY_DB = "satisfaction_scale_country", "satisfaction_scale_city"
ALERT_DAY = date(2025, 12, 31)
IMPORT_TARGET, ALERTS_TARGET, REPORT_TARGET = 10.0, 10.0, 0.5


def fresh_app(url: str):
    import flask_migrate

    from satisfaction.app import create_app

    app = create_app({"APP_ENV": "production", "SECRET_KEY": "b" * 48,
                      "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        flask_migrate.upgrade()
    return app


def country(kind: str, workdir: Path, responses: int) -> dict:
    from satisfaction.alerts.check import check
    from satisfaction.demo.scale import seed_scale, unit_list
    from satisfaction.extensions import db
    from satisfaction.units.roster import import_units

    url = database(kind, workdir, COUNTRY_DB)
    try:
        app = fresh_app(url)
        data = unit_list(3321)
        timings = {}
        with app.app_context():
            for label in ("import_first", "import_again"):
                db.session.remove()
                started = time.perf_counter()
                result = import_units(data)
                db.session.commit()
                timings[label] = time.perf_counter() - started
                assert not result.errors, result.errors[:3]
            print(f"[{kind}] unit list: {timings}")
            started = time.perf_counter()
            seed_scale(3321, responses, ALERT_DAY - timedelta(days=29), ALERT_DAY, seed=3)
            db.session.commit()
            analyze()
            timings["load"] = time.perf_counter() - started
            for label in ("check_first", "check_again"):
                db.session.remove()
                started = time.perf_counter()
                report = check(ALERT_DAY)
                db.session.commit()
                timings[label] = time.perf_counter() - started
                timings[label + "_alerts"] = (len(report.opened) if label == "check_first"
                                              else report.still_open)
            db.engine.dispose()
        print(f"[{kind}] alerts: {timings}")
        return timings
    finally:
        drop(kind, COUNTRY_DB)


def city(kind: str, workdir: Path, responses: int, grow_to: int, runs: int) -> dict:
    import sqlalchemy as sa

    from satisfaction.accounts.access import SYSTEM_SCOPE
    from satisfaction.accounts.tokens import issue_token
    from satisfaction.accounts.users import create_user
    from satisfaction.db.counts import DailyCount, MonthlyCount
    from satisfaction.db.responses import Response
    from satisfaction.demo.scale import seed_scale
    from satisfaction.extensions import db
    from satisfaction.indices.periods import year
    from satisfaction.reporting.reports import unit_report

    url = database(kind, workdir, CITY_DB)
    try:
        app = fresh_app(url)
        with app.app_context():
            started = time.perf_counter()
            seed_scale(168, responses, date(2025, 1, 1), date(2025, 12, 31))
            user, password = create_user("bench@example.vn", "reviewer")
            _, token = issue_token(user)
            db.session.commit()
            analyze()
            load = time.perf_counter() - started
        grown = grow(app, grow_to // responses) if grow_to > responses else 0.0
        service, api = [], []
        client = app.test_client()
        with app.app_context():
            total = db.session.scalar(sa.select(sa.func.count()).select_from(Response))
            daily = db.session.scalar(sa.select(sa.func.count()).select_from(DailyCount))
            monthly = db.session.scalar(sa.select(sa.func.count()).select_from(MonthlyCount))
            for i in range(runs + 1):
                db.session.remove()
                started = time.perf_counter()
                report = unit_report(SYSTEM_SCOPE, "sipas", "T00", year(2025))
                if i:
                    service.append(time.perf_counter() - started)
            children = len(report.children)
        for i in range(runs + 1):
            started = time.perf_counter()
            reply = client.get("/api/v1/indicators?index=sipas&unit=T00&period=2025",
                               headers={"Authorization": f"Bearer {token}"})
            if i:
                api.append(time.perf_counter() - started)
            assert reply.status_code == 200 and reply.json["responses"] == total
        pages = signed_in_pages(app.test_client(), password, runs)
        with app.app_context():
            db.engine.dispose()
        result = {"responses": total, "daily_rows": daily, "monthly_rows": monthly,
                  "children": children, "load": load, "grow": grown,
                  "service_median": statistics.median(service), "service_max": max(service),
                  "api_median": statistics.median(api), "api_max": max(api), **pages}
        print(f"[{kind}] city: {result}")
        return result
    finally:
        drop(kind, CITY_DB)


def signed_in_pages(client, password: str, runs: int) -> dict:
    """The reviewer's report page of the city (its units ranked, the monthly trend: the
    city's dashboard until the reviewing office's desk exists) and its Excel export."""
    import re

    login = client.get("/admin/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
    signed = client.post("/admin/login", data={"csrf_token": csrf, "email": "bench@example.vn",
                                               "password": password})
    assert signed.status_code == 303, signed.status_code
    timings = {}
    for name, path in (("page", "/admin/reports/sipas/T00?period=2025"),
                       ("xlsx", "/admin/reports/sipas/T00.xlsx?period=2025")):
        spent = []
        for i in range(runs + 1):
            started = time.perf_counter()
            reply = client.get(path)
            if i:
                spent.append(time.perf_counter() - started)
            assert reply.status_code == 200, (path, reply.status_code)
        timings[f"{name}_median"], timings[f"{name}_max"] = statistics.median(spent), max(spent)
    return timings


def section(results: dict, args) -> str:
    lines = [BEGIN, "## A city and the country on one deployment", "",
             f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs, "
             f"CPython {platform.python_version()}",
             f"- Command: `python bench/scale_bench.py --db {args.db} --alert-responses "
             f"{args.alert_responses} --city-responses {args.city_responses} --grow-to "
             f"{args.grow_to} --runs {args.runs}`",
             "- The country: 3,321 wards and communes in 34 provinces (`demo.scale.unit_list`), "
             f"each with a counter; {args.alert_responses:,} synthetic SIPAS responses in the "
             "30 days checked; the default rule (90 %, 30 days, n ≥ 30, BH 5 %) on the index, "
             "5 elements and 22 criteria (28 tests per unit, about 93,000 corrected together). "
             "The check is timed in-process, without the SMTP delivery step.",
             f"- The city: 168 wards and communes, {args.city_responses:,} responses over "
             f"2025 grown to {args.grow_to:,} by copying (the counts scaled to match); the "
             f"city's full-year report (service, JSON API, the signed-in report page with "
             f"its units ranked and the trend, the Excel export), median and worst of "
             f"{args.runs} runs after a warm-up.",
             "",
             "| database | unit list import, first / again s | alerts check, first / again s "
             "(alerts) | city report service median / max s | API median / max s |"
             " report page median / max s | xlsx median / max s |"
             " targets (10 s, 10 s, 0.5 s) |",
             "|---|---|---|---|---|---|---|---|"]
    for kind, r in results.items():
        c, k = r["country"], r["city"]
        ok = (max(c["import_first"], c["import_again"]) <= IMPORT_TARGET
              and max(c["check_first"], c["check_again"]) <= ALERTS_TARGET
              and max(k["api_max"], k["page_max"]) <= REPORT_TARGET)
        lines.append(
            f"| {kind} | {c['import_first']:.2f} / {c['import_again']:.2f} | "
            f"{c['check_first']:.2f} / {c['check_again']:.2f} ({c['check_first_alerts']}) | "
            f"{k['service_median']:.3f} / {k['service_max']:.3f} | "
            f"{k['api_median']:.3f} / {k['api_max']:.3f} | "
            f"{k['page_median']:.3f} / {k['page_max']:.3f} | "
            f"{k['xlsx_median']:.3f} / {k['xlsx_max']:.3f} | {'PASS' if ok else 'FAIL'} |")
    lines += ["", "| database | city responses | daily / monthly count rows | direct units "
              "| load + grow s |", "|---|---|---|---|---|"]
    for kind, r in results.items():
        k = r["city"]
        lines.append(f"| {kind} | {k['responses']:,} | {k['daily_rows']:,} / "
                     f"{k['monthly_rows']:,} | {k['children']} | {k['load']:.0f} + "
                     f"{k['grow']:.0f} |")
    lines.append(END)
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--alert-responses", type=int, default=1_000_000)
    parser.add_argument("--city-responses", type=int, default=1_000_000)
    parser.add_argument("--grow-to", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            results[kind] = {
                "country": country(kind, Path(tmp), args.alert_responses),
                "city": city(kind, Path(tmp), args.city_responses, args.grow_to, args.runs),
            }
    text = section(results, args)
    print(text)
    if args.write:
        write_section(args.write, text, BEGIN, END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
