"""Paper forms entered from CSV: line-numbered errors, all-or-nothing, --skip-bad."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from factories import ITEMS, gen_user, paper_csv, sign_in
from helpers import count, read_form
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from satisfaction import clock
from satisfaction.db.accounts import Role
from satisfaction.db.counts import (
    DailyCount,
    DailyResponseCount,
    MonthlyCount,
    MonthlyResponseCount,
)
from satisfaction.db.responses import Answer, Response
from satisfaction.extensions import db


def write(tmp_path, content: bytes, name="forms.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def test_cli_imports_a_clean_batch(runner, app, demo, tmp_path):
    rows = [("Q1-BN", "2026-03-02", {"A1": "5", "comment": "Rất tốt"}),
            ("Q1-CK", "2026-03-03", {"B2": "0"})]
    result = runner.invoke(args=["responses", "import", "--questionnaire", "sipas-2640",
                                 write(tmp_path, paper_csv(rows))])
    assert result.exit_code == 0, result.output
    assert "2 of 2 forms stored." in result.output
    with app.app_context():
        stored = db.session.scalars(sa.select(Response).order_by(Response.id)).all()
        assert [r.channel for r in stored] == ["paper", "paper"]
        assert [r.unit.code for r in stored] == ["Q1-BN", "Q1-CK"]
        assert stored[0].comment == "Rất tốt" and stored[0].counter_id is None
        assert clock.local_day(stored[0].submitted_at).isoformat() == "2026-03-02"
        answers = {a.item_code: a.value for a in stored[1].answers}
        assert answers["B2"] is None and len(answers) == 22


def test_a_bad_batch_stores_nothing_and_names_each_line(runner, app, demo, tmp_path):
    rows = [
        ("Q1-BN", "2026-03-02", {}),                 # line 2: good
        ("Q1-XX", "2026-03-02", {}),                 # line 3: unknown unit
        ("Q1-BN", "2026-02-30", {}),                 # line 4: no such date
        ("Q1-BN", "2026-03-02", {"A1": "7"}),        # line 5: off the scale
        ("Q1-BN", "2999-01-01", {}),                 # line 6: future
    ]
    path = write(tmp_path, paper_csv(rows))
    result = runner.invoke(args=["responses", "import", "--questionnaire", "sipas-2640", path])
    assert result.exit_code != 0
    output = result.output
    assert "line 3: unknown_unit Q1-XX" in output
    assert "line 4: bad_date 2026-02-30" in output
    assert "line 5: bad_value A1=7" in output
    assert "line 6: future_date" in output
    assert "nothing was stored" in output
    with app.app_context():
        assert count(Response) == 0 and count(DailyCount) == 0

    result = runner.invoke(args=["responses", "import", "--questionnaire", "sipas-2640",
                                 "--skip-bad", path])
    assert result.exit_code == 0
    assert "1 of 5 forms stored." in result.output
    with app.app_context():
        assert count(Response) == 1


@pytest.mark.parametrize(
    "content,message",
    [
        (b"unit,date,A1\nQ1-BN,2026-03-02,5\n", "missing_columns"),
        (b"unit,date,ZZ9\n", "unknown_columns: ZZ9"),
        ("unit;ngày\n".encode(), "missing_columns"),
        (b"", "empty"),
        ("unit,date,A1\n".encode("utf-16"), "not_utf8"),
        ("unit,date,A1\nCô Giang,2026-01-01,5\n".encode("latin-1"), "not_utf8"),
    ],
)
def test_unreadable_files_are_refused_whole(runner, app, demo, tmp_path, content, message):
    result = runner.invoke(args=["responses", "import", "--questionnaire", "sipas-2640",
                                 write(tmp_path, content)])
    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        assert count(Response) == 0


def test_semicolon_csv_from_excel_with_bom_is_read(runner, app, demo, tmp_path):
    header = ";".join(["unit", "date", *ITEMS])
    line = ";".join(["Q1-TD", "2026-01-15", *(["4"] * len(ITEMS))])
    content = ("\ufeff" + header + "\r\n" + line + "\r\n").encode("utf-8")
    result = runner.invoke(args=["responses", "import", "--questionnaire", "sipas-2640",
                                 write(tmp_path, content)])
    assert result.exit_code == 0, result.output


def test_admin_page_imports_and_reports_errors(client, app, demo):
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    sign_in(client, "reviewer@q1.example.vn")
    page = client.get("/admin/import")
    assert page.status_code == 200
    csrf = read_form(page.get_data(as_text=True)).hidden["csrf_token"]
    bad = paper_csv([("Q1-BN", "2026-03-02", {}), ("Q1-BN", "03/02/2026", {})])
    response = client.post("/admin/import", data={
        "csrf_token": csrf, "questionnaire": "sipas-2640",
        "file": (io.BytesIO(bad), "forms.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Không có dữ liệu nào được lưu" in html and "<td>3</td>" in html
    assert "Ngày phải viết theo dạng YYYY-MM-DD" in html
    with app.app_context():
        assert count(Response) == 0
    good = paper_csv([("Q1-BN", "2026-03-02", {})])
    response = client.post("/admin/import", data={
        "csrf_token": csrf, "questionnaire": "sipas-2640",
        "file": (io.BytesIO(good), "forms.csv")}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Đã lưu 1 phiếu." in response.get_data(as_text=True)


def test_ward_manager_may_only_enter_forms_for_their_ward(client, app, demo):
    gen_user(app, "bn@q1.example.vn", Role.UNIT_MANAGER, "Q1-BN")
    sign_in(client, "bn@q1.example.vn")
    csrf = read_form(client.get("/admin/import").get_data(as_text=True)).hidden["csrf_token"]
    content = paper_csv([("Q1-TD", "2026-03-02", {})])
    response = client.post("/admin/import", data={
        "csrf_token": csrf, "questionnaire": "sipas-2640",
        "file": (io.BytesIO(content), "forms.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422
    with app.app_context():
        assert count(Response) == 0


def test_an_index_owner_cannot_add_answers_to_an_index_it_does_not_own(client, app, demo):
    # The finance office owns the PCI-style survey, not SIPAS: it cannot read SIPAS (403),
    # so it cannot add SIPAS answers either (audit finding 1).
    from werkzeug.exceptions import Forbidden

    from satisfaction.accounts.access import scope_for
    from satisfaction.db.accounts import User
    from satisfaction.intake.paper import import_paper_forms

    gen_user(app, "tckh@q1.example.vn", Role.INDEX_OWNER, "Q1-TCKH")
    sign_in(client, "tckh@q1.example.vn")
    assert client.get("/admin/reports/sipas/Q1-BN").status_code == 403
    page = client.get("/admin/import").get_data(as_text=True)
    assert 'value="sipas-2640"' not in page and 'value="pci-q1"' in page
    csrf = read_form(page).hidden["csrf_token"]
    content = paper_csv([("Q1-BN", "2026-03-02", {})])
    response = client.post("/admin/import", data={
        "csrf_token": csrf, "questionnaire": "sipas-2640",
        "file": (io.BytesIO(content), "forms.csv")}, content_type="multipart/form-data")
    assert response.status_code in (403, 422)
    with app.app_context():
        assert count(Response) == 0
        user = db.session.scalar(sa.select(User).where(User.email == "tckh@q1.example.vn"))
        with pytest.raises(Forbidden):
            import_paper_forms("sipas-2640", content, scope_for(user))
        assert count(Response) == 0


def test_an_index_owner_sees_and_switches_off_only_its_own_rules(client, app, demo):
    gen_user(app, "tckh@q1.example.vn", Role.INDEX_OWNER, "Q1-TCKH")
    sign_in(client, "tckh@q1.example.vn")
    page = client.get("/admin/alerts/rules").get_data(as_text=True)
    assert "sipas-2640" not in page  # the demo's SIPAS rules are not listed
    csrf = read_form(page).hidden["csrf_token"]
    assert client.post("/admin/alerts/rules/1/remove",
                       data={"csrf_token": csrf}).status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT is_active FROM alert_rule WHERE id = 1"))


def test_the_paper_form_page_takes_thousands_of_forms_and_says_its_limit(client, app, demo):
    """Audit finding 10: the page refused files over 64 KB (about 1,000 forms) although
    50,000 rows are allowed."""
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    sign_in(client, "reviewer@q1.example.vn")
    csrf = read_form(client.get("/admin/import").get_data(as_text=True)).hidden["csrf_token"]
    content = paper_csv([("Q1-BN", "2026-03-02", {}) for _ in range(1200)])
    assert len(content) > app.config["MAX_CONTENT_LENGTH"]

    def send(data):
        # Encoded here, in memory: the test client spools a body over 500 KB to a
        # temporary file that it leaves open when the app answers before reading it all.
        boundary, body = encode_multipart({
            "csrf_token": csrf, "questionnaire": "sipas-2640",
            "file": FileStorage(io.BytesIO(data), "forms.csv")})
        return client.post("/admin/import", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")

    response = send(content)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    with app.app_context():
        assert count(Response) == 1200
    # Beyond the page's limit (lowered here to keep the test small): a clear message.
    app.config["PAPER_MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    try:
        response = send(content * 30)
    finally:
        del app.config["PAPER_MAX_CONTENT_LENGTH"]
    assert response.status_code == 413
    assert "lớn hơn 2 MB" in response.get_data(as_text=True)
    response.close()
    with app.app_context():
        assert count(Response) == 1200


def test_daily_counts_match_the_answers_and_rebuild_reproduces_them(
    client, app, demo, runner, tmp_path
):
    from helpers import filled_survey

    path = f"/s/{demo.survey_tokens['Q1-BN']}"
    for value in ("1", "3", "5", "0"):
        html = client.get(path).get_data(as_text=True)
        assert client.post(path, data=filled_survey(html, value)).status_code == 303
    imported = runner.invoke(args=["responses", "import", "--questionnaire", "sipas-2640",
                                   write(tmp_path, paper_csv([("Q1-TD", "2026-01-05", {})]))])
    assert imported.exit_code == 0, imported.output

    def snapshot():
        with app.app_context():
            from_answers = dict(
                ((code, 0 if value is None else value), n)
                for code, value, n in db.session.execute(
                    sa.select(Answer.item_code, Answer.value, sa.func.count())
                    .group_by(Answer.item_code, Answer.value))
            )
            from_counts = dict(
                ((code, value), n)
                for code, value, n in db.session.execute(
                    sa.select(DailyCount.item_code, DailyCount.value,
                              sa.func.sum(DailyCount.count))
                    .group_by(DailyCount.item_code, DailyCount.value))
            )
            responses = db.session.scalar(sa.select(sa.func.sum(DailyResponseCount.count)))
            from_months = dict(
                ((code, value), n)
                for code, value, n in db.session.execute(
                    sa.select(MonthlyCount.item_code, MonthlyCount.value,
                              sa.func.sum(MonthlyCount.count))
                    .group_by(MonthlyCount.item_code, MonthlyCount.value))
            )
            assert from_months == from_counts
            assert db.session.scalar(
                sa.select(sa.func.sum(MonthlyResponseCount.count))) == responses
            return from_answers, from_counts, responses

    answers, counts, responses = snapshot()
    scores = {key: n for key, n in counts.items() if key[0].startswith("@")}
    assert {key: n for key, n in counts.items() if key not in scores} == answers
    assert responses == count_responses(app)
    # Each respondent's own share: all 5s and the paper form's all-4s are 1.0 (key 1001),
    # all 1s and all 3s are 0.0 (key 1); "no opinion" everywhere gives no score.
    assert {k[1]: n for k, n in scores.items() if k[0] == "@"} == {1: 2, 1001: 2}
    assert answers[("A1", 0)] == 1 and answers[("A1", 5)] == 1
    result = runner.invoke(args=["counts", "rebuild"])
    assert result.exit_code == 0 and "Counted" in result.output
    assert snapshot() == (answers, counts, responses)


def count_responses(app):
    with app.app_context():
        return count(Response)
