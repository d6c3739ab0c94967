"""The dossier list from the one-stop system: import (service, page, CLI), verification of
responses, and the figures it adds to reports (quarantined, response rate, verified share)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa
from factories import gen_response, gen_user, sign_in
from helpers import count, read_form
from openpyxl import load_workbook

from satisfaction.accounts.access import SYSTEM_SCOPE, scope_for
from satisfaction.csvimport import parse_day
from satisfaction.db.accounts import AuditEntry, Role, User
from satisfaction.db.responses import Dossier, Response, ResponseStatus
from satisfaction.db.units import ProcedureField, Unit
from satisfaction.extensions import db
from satisfaction.indices.periods import month
from satisfaction.intake import dossiers
from satisfaction.intake.dossiers import hash_code, import_dossiers
from satisfaction.reporting.coverage import coverage
from satisfaction.reporting.reports import unit_report

HEADER = ["code", "unit", "procedure_field", "received_on", "returned_on"]
TODAY = date(2026, 6, 1)


def dossier_csv(rows, header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def code(n: int, unit: str = "BN") -> str:
    return f"000.00.20.H29-{unit}-{n:05d}"


def run_import(app, content: bytes, scope=SYSTEM_SCOPE, **kwargs):
    with app.app_context():
        kwargs.setdefault("skip_bad", False)
        kwargs.setdefault("today", TODAY)
        result = import_dossiers(content, scope, **kwargs)
        if result.errors and not kwargs["skip_bad"]:
            db.session.rollback()
        else:
            db.session.commit()
        return result


def problems(result) -> list[tuple[int, str]]:
    return [(e.line, e.problem) for e in result.errors]


# --- the arithmetic --------------------------------------------------------------------


def test_coverage_arithmetic_by_hand():
    # Ward 1: 30 accepted, 120 dossiers, 12 verified; ward 2: a list was imported once but
    # no dossier was handled this period (10 accepted, 5 verified); ward 3: no list at all.
    figures = coverage(
        unit_ids=[1, 2, 3],
        accepted={1: 30, 2: 10, 3: 5},
        quarantined={1: 2, 3: 1, 9: 7},
        verified={1: 12, 2: 5},
        dossiers={1: 120},
        listed={1, 2},
    )
    assert figures.quarantined == 3  # unit 9 is outside the roll-up
    assert figures.dossiers == 120
    assert figures.rate == pytest.approx(25.0)  # 30 / 120: wards 2 and 3 had no dossiers
    assert figures.verified == 17
    assert figures.verified_share == pytest.approx(42.5)  # (12 + 5) / (30 + 10)
    ward3 = coverage([3], {3: 5}, {3: 1}, {}, {}, {1, 2})
    assert ward3.rate is None and ward3.verified_share is None and ward3.quarantined == 1
    # A list but nobody answered: a rate of 0 is a fact; the verified share has no data.
    silent = coverage([1], {}, {}, {}, {1: 40}, {1})
    assert silent.rate == 0.0 and silent.verified_share is None
    # Responses about dossiers of another period can push the rate above 100 %.
    assert coverage([1], {1: 15}, {}, {}, {1: 10}, {1}).rate == pytest.approx(150.0)


@pytest.mark.parametrize("raw,expected", [
    ("2026-03-02", date(2026, 3, 2)),
    ("02/03/2026", date(2026, 3, 2)),   # day first, as Vietnamese Excel writes it
    ("2/3/2026", date(2026, 3, 2)),
    (" 31/12/2025 ", date(2025, 12, 31)),
    ("2026-02-30", None),
    ("30/02/2026", None),
    ("03/31/2026", None),               # month first is not a Vietnamese date
    ("2026/03/02", None),
    ("2026-3-2", None),
    ("", None),
])
def test_dates_in_both_spellings(raw, expected):
    assert parse_day(raw) == expected


# --- the import ------------------------------------------------------------------------


def test_a_good_file_is_stored_as_hashes_only(app, demo):
    rows = [
        [code(1), "Q1-BN", "ho-tich", "2026-03-02", "2026-03-05"],
        [code(2).lower(), "Q1-BN", "", "02/03/2026", ""],
        [" " + code(3) + " ", "Q1-TD", "chung-thuc", "15/03/2026", "16/3/2026"],
    ]
    result = run_import(app, dossier_csv(rows), user_id=None)
    assert result.ok and (result.rows, result.stored, result.verified) == (3, 3, 0)
    with app.app_context():
        stored = {d.code_hash: d for d in db.session.scalars(sa.select(Dossier))}
        assert set(stored) == {hash_code(code(n)) for n in (1, 2, 3)}
        first, second, third = (stored[hash_code(code(n))] for n in (1, 2, 3))
        assert first.unit.code == "Q1-BN" and first.procedure_field.code == "ho-tich"
        assert (first.received_on, first.returned_on) == (date(2026, 3, 2), date(2026, 3, 5))
        assert second.procedure_field_id is None and second.returned_on is None
        assert second.received_on == date(2026, 3, 2)
        assert third.unit.code == "Q1-TD" and third.returned_on == date(2026, 3, 16)
        audit = db.session.scalar(sa.select(AuditEntry).where(
            AuditEntry.action == "dossiers.import"))
        assert audit.details["stored"] == 3 and audit.details["rejected"] == 0
        # The codes themselves are nowhere in the database.
        assert code(1) not in repr(audit.details)
        assert all(len(h) == 64 and "H29" not in h for h in stored)


def bad_rows():
    """Each kind of bad row once, with the line it lands on."""
    return [
        [code(1), "Q1-BN", "ho-tich", "2026-03-02", "2026-03-05"],  # 2: good
        [code(2), "Q1-BN", "ho-tich", "2026-03-02"],                # 3: a cell missing
        ["AB", "Q1-BN", "", "2026-03-02", ""],                      # 4: not a code
        [code(4), "Q1-XX", "", "2026-03-02", ""],                   # 5: unknown unit
        [code(5), "Q1-BN", "khong-co", "2026-03-02", ""],           # 6: unknown field
        [code(6), "Q1-BN", "", "2026-02-30", ""],                   # 7: no such day
        [code(7), "Q1-BN", "", "2026-03-02", "31/13/2026"],         # 8: no such month
        [code(8), "Q1-BN", "", "2026-03-10", "2026-03-09"],         # 9: returned before
        [code(9), "Q1-BN", "", "2999-01-01", ""],                   # 10: in the future
        [code(1).lower(), "Q1-TD", "", "2026-03-02", ""],           # 11: same code as line 2
        [code(10), "Q1-BN", "", "2026-03-02", ""],                  # 12: imported before
        [code(11), "Q1-CK", "dat-dai", "05/03/2026", "06/03/2026"],  # 13: good
    ]


EXPECTED_PROBLEMS = [
    (3, "wrong_cell_count"), (4, "bad_code"), (5, "unknown_unit"), (6, "bad_procedure_field"),
    (7, "bad_date"), (8, "bad_date"), (9, "returned_before_received"), (10, "future_date"),
    (11, "duplicate_code"), (12, "already_imported"),
]


def test_each_bad_row_is_named_and_all_or_nothing_stores_nothing(app, demo):
    assert run_import(app, dossier_csv([[code(10), "Q1-BN", "", "2026-01-02", ""]])).stored == 1
    result = run_import(app, dossier_csv(bad_rows()))
    assert problems(result) == EXPECTED_PROBLEMS
    assert result.stored == 0 and result.rows == 12
    assert {e.line: e.detail for e in result.errors}[11] == "2"  # the first line with the code
    with app.app_context():
        assert count(Dossier) == 1

    result = run_import(app, dossier_csv(bad_rows()), skip_bad=True)
    assert problems(result) == EXPECTED_PROBLEMS and result.stored == 2
    with app.app_context():
        assert count(Dossier) == 3
        stored = set(db.session.scalars(sa.select(Dossier.code_hash)))
        assert {hash_code(code(1)), hash_code(code(11))} <= stored
        audit = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "dossiers.import").order_by(AuditEntry.id)).all()[-1]
        assert audit.details == {"rows": 12, "stored": 2, "rejected": 10,
                                 "verified_responses": 0, "skip_bad": True}


@pytest.mark.parametrize("content,problem", [
    # Excel's plain "CSV" on a Vietnamese Windows: Windows-1258 or CP1252, not UTF-8.
    ("code,unit,procedure_field,received_on,returned_on\n"
     "000.00.20.H29-1,Q1-BN,Đa Kao Cô Giang,2026-03-02,\n".encode("cp1258"), "not_utf8"),
    ("code,unit,procedure_field,received_on,returned_on\n"
     "000.00.20.H29-1,Q1-BN,Café,2026-03-02,\n".encode("cp1252"), "not_utf8"),
    (b"", "empty"),
    (b"\xef\xbb\xbf  \r\n", "empty"),
    (b"code,unit,procedure_field,received_on,returned_on\r\n", "no_rows"),
    (b"code,unit\nX,Q1-BN\n", "missing_columns"),
    (b"code,unit,received_on,ghi_chu\n", "unknown_columns"),
    (b"code,unit,received_on,code\n", "duplicate_columns"),
    (b'code,unit,received_on\n"000.00.20.H29-1,Q1-BN,2026-03-02\n', "bad_csv"),
])
def test_unreadable_files_are_refused_whole(app, demo, content, problem):
    with app.app_context(), pytest.raises(dossiers.ImportRefused) as refused:
        import_dossiers(content, SYSTEM_SCOPE, skip_bad=True, today=TODAY)
    assert refused.value.problem == problem
    with app.app_context():
        assert count(Dossier) == 0


def test_not_utf8_names_the_line(app, demo):
    content = dossier_csv([[code(1), "Q1-BN", "", "2026-03-02", ""]]) + "Đa Kao".encode("cp1258")
    with app.app_context(), pytest.raises(dossiers.ImportRefused) as refused:
        import_dossiers(content, SYSTEM_SCOPE, today=TODAY)
    assert (refused.value.problem, refused.value.detail) == ("not_utf8", "3")


def test_too_many_rows_are_refused(app, demo, monkeypatch):
    monkeypatch.setattr(dossiers, "MAX_ROWS", 3)
    rows = [[code(n), "Q1-BN", "", "2026-03-02", ""] for n in range(4)]
    with app.app_context(), pytest.raises(dossiers.ImportRefused) as refused:
        import_dossiers(dossier_csv(rows), SYSTEM_SCOPE, skip_bad=True, today=TODAY)
    assert refused.value.problem == "too_many_rows"
    assert run_import(app, dossier_csv(rows[:3])).stored == 3


def test_excel_semicolons_bom_and_optional_columns(app, demo):
    content = ("\ufeffcode;unit;received_on;;\r\n"
               f"{code(1)};Q1-BN;02/03/2026;;\r\n").encode()
    result = run_import(app, content)
    assert result.ok and result.stored == 1
    with app.app_context():
        stored = db.session.scalar(sa.select(Dossier))
        assert stored.returned_on is None and stored.procedure_field_id is None


def test_scope_a_ward_manager_imports_only_their_ward(app, demo):
    gen_user(app, "bn@q1.example.vn", Role.UNIT_MANAGER, "Q1-BN")
    rows = [[code(1), "Q1-BN", "", "2026-03-02", ""], [code(2), "Q1-TD", "", "2026-03-02", ""]]
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "bn@q1.example.vn"))
        scope = scope_for(user)
    result = run_import(app, dossier_csv(rows), scope=scope)
    assert problems(result) == [(3, "unknown_unit")]
    result = run_import(app, dossier_csv(rows), scope=scope, skip_bad=True)
    assert result.stored == 1
    with app.app_context():
        assert db.session.scalar(sa.select(Dossier.unit_id)) == db.session.scalar(
            sa.select(Unit.id).where(Unit.code == "Q1-BN"))


def test_a_large_file_is_stored_in_bulk(app, demo):
    rows = [[code(n, unit), f"Q1-{unit}", "ho-tich", "2026-03-02", "2026-03-04"]
            for unit in ("BN", "TD") for n in range(3000)]
    result = run_import(app, dossier_csv(rows))
    assert result.ok and result.stored == 6000
    again = run_import(app, dossier_csv(rows[:2500]))
    assert [e.problem for e in again.errors] == ["already_imported"] * 2500


# --- responses become verified ---------------------------------------------------------


def test_responses_with_a_listed_code_at_the_same_unit_become_verified(app, demo):
    with app.app_context():
        gen_response("Q1-BN", date(2026, 3, 3), dossier=code(1).lower())   # matches
        gen_response("Q1-TD", date(2026, 3, 3), dossier=code(2))           # other unit
        gen_response("Q1-BN", date(2026, 3, 3), dossier=code(3))           # not on the list
        gen_response("Q1-BN", date(2026, 3, 3))                            # no code given
        db.session.commit()
    rows = [[code(1), "Q1-BN", "", "2026-03-02", ""], [code(2), "Q1-BN", "", "2026-03-02", ""]]
    result = run_import(app, dossier_csv(rows))
    assert result.verified == 1
    with app.app_context():
        verified = db.session.execute(
            sa.select(Response.dossier_hash, Response.verified).order_by(Response.id)).all()
        assert [v for _, v in verified] == [True, False, False, False]
        assert db.session.scalars(sa.select(AuditEntry.details).where(
            AuditEntry.action == "dossiers.import")).one()["verified_responses"] == 1



def test_verifying_looks_codes_up_in_their_index_not_through_the_unit(app, demo):
    """With no statistics (SQLite, never ANALYZEd) a plain ``unit_id = ?`` made the
    planner read all of a unit's responses for every chunk of codes."""
    with app.app_context():
        unit_id = db.session.scalar(sa.select(Unit.id).where(Unit.code == "Q1-BN"))
        statement = dossiers.verify_statement(unit_id, [hash_code(code(1)), hash_code(code(2))])
        sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
        connection = db.session.connection()
        if connection.dialect.name == "sqlite":
            plan = " ".join(row[-1] for row in connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + sql))
        else:
            # A near-empty table is read whole whatever the indexes: ask for an index.
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = " ".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + sql))
        db.session.rollback()
    assert "ix_response_dossier_hash" in plan
    assert "ix_response_unit_id_submitted_at" not in plan


# --- the admin page --------------------------------------------------------------------


def page_csrf(client) -> str:
    page = client.get("/admin/dossiers/import")
    assert page.status_code == 200
    return read_form(page.get_data(as_text=True)).hidden["csrf_token"]


def post_file(client, csrf, content: bytes, skip_bad=False, url="/admin/dossiers/import"):
    data = {"csrf_token": csrf, "file": (io.BytesIO(content), "ho-so.csv")}
    if skip_bad:
        data["skip_bad"] = "y"
    return client.post(url, data=data, content_type="multipart/form-data")


def test_admin_page_imports_reports_rows_and_refuses_cp1252(client, app, demo):
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    sign_in(client, "reviewer@q1.example.vn")
    assert 'href="/admin/dossiers/import"' in client.get("/admin/reports/sipas/Q1").get_data(
        as_text=True)
    csrf = page_csrf(client)
    response = post_file(client, csrf, dossier_csv(bad_rows()))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Không có dữ liệu nào được lưu" in html or "Nothing was saved" in html
    for line, _problem in EXPECTED_PROBLEMS[:-1]:
        assert f"<td>{line}</td>" in html
    assert "<td>2999-01-01</td>" in html and "<td>Q1-XX</td>" in html
    with app.app_context():
        assert count(Dossier) == 0

    response = post_file(client, csrf, dossier_csv(bad_rows()), skip_bad=True)
    assert response.status_code == 200
    with app.app_context():
        assert count(Dossier) == 3  # lines 2, 12 and 13: nothing was imported before

    cp1252 = ("code,unit,procedure_field,received_on,returned_on\n"
              "000.00.20.H29-9,Q1-BN,Café,2026-03-02,\n").encode("cp1252")
    response = post_file(client, csrf, cp1252)
    assert response.status_code == 422
    assert "CSV UTF-8" in response.get_data(as_text=True)

    good = dossier_csv([[code(50), "Q1-BN", "", "2026-03-02", ""]])
    response = post_file(client, csrf, good)
    assert response.status_code == 200
    with app.app_context():
        assert count(Dossier) == 4
    # No file at all: the form says so, nothing breaks.
    response = client.post("/admin/dossiers/import", data={"csrf_token": csrf},
                           content_type="multipart/form-data")
    assert response.status_code == 422


def test_admin_page_accepts_a_month_of_dossiers_but_only_there(client, app, demo):
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    big = dossier_csv([[code(n), "Q1-BN", "ho-tich", "2026-03-02", "2026-03-03"]
                       for n in range(4000)])
    assert len(big) > 3 * app.config["MAX_CONTENT_LENGTH"]
    # Anonymous: the body is refused before it is read.
    assert post_file(client, "x", big).status_code == 413
    sign_in(client, "reviewer@q1.example.vn")
    csrf = page_csrf(client)
    response = post_file(client, csrf, big)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    with app.app_context():
        assert count(Dossier) == 4000
    # The public survey keeps the app-wide limit.
    survey = f"/s/{demo.survey_tokens['Q1-TD']}"
    assert client.post(survey, data={"comment": "x" * len(big)}).status_code == 413


def test_observers_may_not_import(client, app, demo):
    gen_user(app, "mttq@q1.example.vn", Role.OBSERVER)
    sign_in(client, "mttq@q1.example.vn")
    assert client.get("/admin/dossiers/import").status_code == 403
    html = client.get("/admin/reports/sipas/Q1").get_data(as_text=True)
    assert "/admin/dossiers/import" not in html
    csrf = read_form(html).hidden.get("csrf_token")
    response = post_file(client, csrf, dossier_csv([[code(1), "Q1-BN", "", "2026-03-02", ""]]))
    assert response.status_code == 403
    with app.app_context():
        assert count(Dossier) == 0


def test_ward_manager_page_rejects_other_wards(client, app, demo):
    gen_user(app, "bn@q1.example.vn", Role.UNIT_MANAGER, "Q1-BN")
    sign_in(client, "bn@q1.example.vn")
    rows = [[code(1), "Q1-BN", "", "2026-03-02", ""], [code(2), "Q1-TD", "", "2026-03-02", ""]]
    response = post_file(client, page_csrf(client), dossier_csv(rows))
    assert response.status_code == 422 and "<td>Q1-TD</td>" in response.get_data(as_text=True)
    with app.app_context():
        assert count(Dossier) == 0


# --- the CLI ---------------------------------------------------------------------------


def test_cli_imports_prints_rejections_and_fails_when_nothing_is_stored(runner, app, demo,
                                                                        tmp_path):
    path = tmp_path / "ho-so.csv"
    path.write_bytes(dossier_csv(bad_rows()))
    result = runner.invoke(args=["dossiers", "import", str(path)])
    assert result.exit_code != 0
    assert "line 5: unknown_unit Q1-XX" in result.output
    assert "line 11: duplicate_code 2" in result.output
    assert "nothing was stored" in result.output
    with app.app_context():
        assert count(Dossier) == 0

    result = runner.invoke(args=["dossiers", "import", "--skip-bad", str(path)])
    assert result.exit_code == 0, result.output
    # Line 12 was not imported before this time: 3 good rows of 12.
    assert "3 of 12 dossiers stored; 9 rows rejected; 0 responses verified." in result.output

    # Everything already there: --skip-bad stores nothing, and says so with its exit code.
    result = runner.invoke(args=["dossiers", "import", "--skip-bad", str(path)])
    assert result.exit_code == 1
    assert "0 of 12 dossiers stored" in result.output

    path.write_bytes("code,unit,received_on\nX-1,Cô Giang,2026-01-01\n".encode("cp1258"))
    result = runner.invoke(args=["dossiers", "import", str(path)])
    assert result.exit_code != 0 and "not_utf8" in result.output
    with app.app_context():
        assert count(Dossier) == 3


# --- reports ---------------------------------------------------------------------------


@pytest.fixture
def march(app, demo):
    """March 2026, with dossier lists for Bến Nghé and Tân Định, none for Cầu Kho.

    Bến Nghé: 16 dossiers handled in March, 4 accepted responses of which 3 gave a listed
    code -> rate 4/16 = 25.0 %, verified 3/4 = 75.0 %; 1 quarantined response (not in the
    index), plus one quarantined in April and one for another questionnaire (not counted).
    Tân Định: 5 dossiers handled, 2 accepted of which 1 verified -> 40.0 %, 50.0 %.
    Cầu Kho: 3 accepted, no list -> no data for both.
    District: (4 + 2) / (16 + 5) = 28.6 %; verified (3 + 1) / (4 + 2) = 66.7 %.
    """
    rows = []
    for n in range(14):  # returned in March
        rows.append([code(n), "Q1-BN", "ho-tich", "2026-03-01", "2026-03-10"])
    rows += [
        [code(20), "Q1-BN", "", "2026-02-20", "2026-03-01"],   # received before, returned in
        [code(21), "Q1-BN", "", "2026-03-28", ""],             # in progress, received in March
        [code(22), "Q1-BN", "", "2026-03-25", "2026-04-02"],   # returned in April: not March
        [code(23), "Q1-BN", "", "2026-02-02", "2026-02-28"],   # February
        [code(24), "Q1-BN", "", "2026-02-27", ""],             # in progress since February
    ]
    rows += [[code(n, "TD"), "Q1-TD", "", "2026-03-02", "2026-03-31"] for n in range(5)]
    with app.app_context():
        for n, dossier in enumerate([code(1), code(2), code(22), None]):
            gen_response("Q1-BN", date(2026, 3, 5 + n), dossier=dossier)
        gen_response("Q1-BN", date(2026, 3, 9), dossier=code(3),
                     status=ResponseStatus.QUARANTINED.value, value=1)
        gen_response("Q1-BN", date(2026, 4, 9), status=ResponseStatus.QUARANTINED.value)
        gen_response("Q1-BN", date(2026, 3, 9), status=ResponseStatus.QUARANTINED.value,
                     questionnaire="sipas-1001")
        gen_response("Q1-TD", date(2026, 3, 31), dossier=code(0, "TD"))
        gen_response("Q1-TD", date(2026, 3, 31), dossier=code(3))  # Bến Nghé's code
        for _ in range(3):
            gen_response("Q1-CK", date(2026, 3, 12))
        db.session.commit()
    result = run_import(app, dossier_csv(rows))
    assert result.ok and result.stored == 24
    # code(1), code(2), code(22) at Bến Nghé, code(0, TD) at Tân Định, and the quarantined
    # response's code(3) at Bến Nghé.
    assert result.verified == 5
    return demo


def test_report_service_figures_per_ward(app, march):
    with app.app_context():
        report = unit_report(SYSTEM_SCOPE, "sipas", "Q1", month(2026, 3))
        rows = {r.unit.code: r for r in report.children}
        bn, td, ck = rows["Q1-BN"], rows["Q1-TD"], rows["Q1-CK"]
        # The quarantined response is in the report, not in the index.
        assert bn.responses == 4 and bn.coverage.quarantined == 1
        assert bn.value == pytest.approx(100.0)  # all 4s; the quarantined all-1s left out
        assert bn.coverage.dossiers == 16 and bn.coverage.rate == pytest.approx(25.0)
        assert bn.coverage.verified == 3 and bn.coverage.verified_share == pytest.approx(75.0)
        assert td.coverage.rate == pytest.approx(40.0)
        assert td.coverage.verified_share == pytest.approx(50.0)
        assert ck.responses == 3 and ck.coverage.rate is None
        assert ck.coverage.verified_share is None and ck.coverage.quarantined == 0
        overall = report.result.coverage
        assert report.result.responses == 9 and overall.quarantined == 1
        assert overall.rate == pytest.approx(600 / 21)
        assert overall.verified_share == pytest.approx(400 / 6)
        assert report.previous.coverage is None
        april = unit_report(SYSTEM_SCOPE, "sipas", "Q1-BN", month(2026, 4)).result.coverage
        # code(22) was returned in April; the April quarantined response is counted there.
        assert (april.dossiers, april.quarantined, april.rate) == (1, 1, 0.0)


def test_report_page_and_exports_show_rate_and_verified_share(client, app, march):
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    sign_in(client, "reviewer@q1.example.vn")
    html = client.get("/admin/reports/sipas/Q1?period=2026-03").get_data(as_text=True)

    def row(unit):
        start = html.index(f'href="/admin/reports/sipas/{unit}?period=2026-03"')
        return html[start: html.index("</tr>", start)]

    bn, td, ck = row("Q1-BN"), row("Q1-TD"), row("Q1-CK")
    assert '<td class="num rate">25,0 %</td>' in bn
    assert '<td class="num verified">75,0 %</td>' in bn
    assert '<td class="num rate">40,0 %</td>' in td and "50,0 %" in td
    assert '<td class="num rate"><span class="nodata">Chưa có dữ liệu</span></td>' in ck
    assert '<td class="num verified"><span class="nodata">Chưa có dữ liệu</span></td>' in ck
    cards = html[html.index('class="cards coverage"'):]
    cards = cards[: cards.index("</div>\n<p")]
    assert "28,6 %" in cards and "66,7 %" in cards and ">21<" in cards

    ward = client.get("/admin/reports/sipas/Q1-CK?period=2026-03").get_data(as_text=True)
    cards = ward[ward.index('class="cards coverage"'):]
    assert cards[: cards.index("</div>\n<p")].count("Chưa có dữ liệu") == 3

    book = load_workbook(io.BytesIO(
        client.get("/admin/reports/sipas/Q1.xlsx?period=2026-03").data))
    summary = {r[0]: r[1] for r in book["Tổng hợp"].iter_rows(values_only=True)}
    assert summary["Số phiếu tạm giữ"] == 1 and summary["Số hồ sơ đã và đang giải quyết"] == 21
    assert summary["Tỷ lệ phản hồi (%)"] == pytest.approx(28.57)
    assert summary["Tỷ lệ phiếu đã xác minh (%)"] == pytest.approx(66.67)
    sheet = list(book["Đơn vị"].iter_rows(values_only=True))
    units = {r[0]: dict(zip(sheet[0], r, strict=True)) for r in sheet[1:]}
    assert units["Q1-BN"]["Số phiếu"] == 4 and units["Q1-BN"]["Số phiếu tạm giữ"] == 1
    assert units["Q1-BN"]["Tỷ lệ phản hồi (%)"] == pytest.approx(25.0)
    assert units["Q1-TD"]["Tỷ lệ phiếu đã xác minh (%)"] == pytest.approx(50.0)
    assert units["Q1-CK"]["Tỷ lệ phản hồi (%)"] is None
    assert units["Q1-CK"]["Số hồ sơ đã và đang giải quyết"] is None

    raw = client.get("/admin/reports/sipas/Q1.csv?period=2026-03").data.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(raw)))
    header = table[0]
    by_code = {r[1]: dict(zip(header, r, strict=False)) for r in table[1:] if r[0] == "Đơn vị"}
    assert float(by_code["Q1-BN"]["Tỷ lệ phản hồi (%)"]) == pytest.approx(25.0)
    assert float(by_code["Q1-TD"]["Tỷ lệ phiếu đã xác minh (%)"]) == pytest.approx(50.0)
    assert by_code["Q1-CK"]["Tỷ lệ phản hồi (%)"] == ""
    overall = dict(zip(header, table[1], strict=True))
    assert float(overall["Tỷ lệ phản hồi (%)"]) == pytest.approx(28.57)


def test_a_report_without_any_dossier_list_shows_no_data(client, app, demo):
    with app.app_context():
        gen_response("Q1-BN", date(2026, 3, 5), dossier=code(1))
        db.session.commit()
        report = unit_report(SYSTEM_SCOPE, "sipas", "Q1", month(2026, 3))
        assert report.result.responses == 1
        assert report.result.coverage.rate is None
        assert report.result.coverage.verified_share is None
        assert all(r.coverage.rate is None for r in report.children)


def test_procedure_fields_exist_for_the_fixture(app, demo):
    # The tests above rely on these codes from satisfaction/data/procedure_fields.json.
    with app.app_context():
        codes = set(db.session.scalars(sa.select(ProcedureField.code)))
    assert {"ho-tich", "chung-thuc", "dat-dai"} <= codes


def test_the_api_gives_the_coverage_figures(client, app, march):
    from satisfaction.db.accounts import ApiToken

    gen_user(app, "api@q1.example.vn", Role.REVIEWER)
    with app.app_context():
        from satisfaction.accounts.tokens import issue_token

        user = db.session.scalar(sa.select(User).where(User.email == "api@q1.example.vn"))
        _, token = issue_token(user)
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 1
    body = client.get("/api/v1/indicators?index=sipas&unit=Q1&period=2026-03",
                      headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["coverage"]["quarantined"] == 1 and body["coverage"]["dossiers_handled"] == 21
    assert body["coverage"]["response_rate"] == pytest.approx(600 / 21, abs=1e-4)
    units = {u["code"]: u["coverage"] for u in body["units"]}
    assert units["Q1-BN"]["verified_share"] == pytest.approx(75.0)
    assert units["Q1-CK"]["response_rate"] is None  # no dossier list: no data, not 0
