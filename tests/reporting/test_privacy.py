"""Privacy by role (issue 15, finding 6): per-response data only for the reviewing office,
one disclosure rule below it (no cell of 1-4 answers, no differencing pair), comments by
month with personal data masked, answers that accuse staff only for the inspector."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from factories import api_token, gen_paper_forms, gen_response, gen_user, sign_in

from satisfaction import clock
from satisfaction.db.accounts import AuditEntry, Role
from satisfaction.db.responses import Answer, Response
from satisfaction.extensions import db
from satisfaction.indices import disclosure
from satisfaction.privacy import mask_personal_data

WITHHELD = "Số liệu không được hiển thị"


def forms(unit: str, day: str, n: int, **overrides):
    return [(unit, day, dict(overrides)) for _ in range(n)]


@pytest.fixture
def wards(app, demo):
    """Bến Nghé: 10 forms in February 2026, 4 in March, 6 in April; a reviewer and Bến
    Nghé's unit manager."""
    gen_paper_forms(app, forms("Q1-BN", "2026-02-10", 10) + forms("Q1-BN", "2026-03-10", 4)
                    + forms("Q1-BN", "2026-04-10", 6))
    gen_user(app, "reviewer@q1.example.vn", Role.REVIEWER)
    gen_user(app, "bn@q1.example.vn", Role.UNIT_MANAGER, "Q1-BN")
    gen_user(app, "q1@q1.example.vn", Role.UNIT_MANAGER, "Q1")
    gen_user(app, "inspector@q1.example.vn", Role.INSPECTOR)
    return demo


def signed_in(app, email: str):
    client = app.test_client()
    sign_in(client, email)
    return client


def page(client, path: str) -> tuple[int, str]:
    response = client.get(path)
    return response.status_code, response.get_data(as_text=True)


def test_the_rule_as_arithmetic():
    assert disclosure.disclosed({("BN", (2026, 2)): 10, ("BN", (2026, 4)): 6}, 5)
    assert not disclosure.disclosed({("BN", (2026, 2)): 10, ("BN", (2026, 3)): 4}, 5)
    assert disclosure.disclosed({("BN", (2026, 3)): 0}, 5)
    assert disclosure.small_cells({"a": 4, "b": 1, "c": 5, "d": 0}, 5) == ["a", "b"]
    # The pair a differencing attack uses: a quarter of 14 and a month of 10 inside it.
    assert disclosure.reveals_fewer(14, 10, 5) and not disclosure.reveals_fewer(15, 10, 5)


def test_a_four_answer_month_is_withheld_from_the_unit_manager(app, wards):
    manager, reviewer = signed_in(app, "bn@q1.example.vn"), signed_in(app, "reviewer@q1.example.vn")
    status, html = page(manager, "/admin/reports/sipas/Q1-BN?period=2026-03")
    assert status == 200 and WITHHELD in html and "từ 1 đến 4 phiếu" in html
    assert "<td class=\"num\">4</td>" not in html
    # The reviewing office sees the four forms.
    status, html = page(reviewer, "/admin/reports/sipas/Q1-BN?period=2026-03")
    assert status == 200 and WITHHELD not in html
    # Months of 10 and 6 forms are shown to the manager.
    for month in ("2026-02", "2026-04"):
        status, html = page(manager, f"/admin/reports/sipas/Q1-BN?period={month}")
        assert status == 200 and WITHHELD not in html
    # The downloads and the API say no too.
    assert manager.get("/admin/reports/sipas/Q1-BN.csv?period=2026-03").status_code == 403
    assert manager.get("/admin/reports/sipas/Q1-BN.xlsx?period=2026-03").status_code == 403


def test_no_differencing_pair_reveals_the_four_answers(app, wards, runner):
    """Q1 (14 forms) minus February (10) would reveal March's 4: the quarter is withheld,
    and so is any range of days that contains March, and the district's figure (the
    district minus its other wards would reveal Bến Nghé's March)."""
    manager = signed_in(app, "bn@q1.example.vn")
    assert WITHHELD in page(manager, "/admin/reports/sipas/Q1-BN?period=2026-Q1")[1]
    assert WITHHELD in page(manager, "/admin/reports/sipas/Q1-BN?period=2026")[1]
    # A range is read as the whole months it touches: 1-9 March is March.
    html = page(manager, "/admin/reports/sipas/Q1-BN?from=2026-02-01&to=2026-03-09")[1]
    assert WITHHELD in html
    # Compared with March, February is shown without its previous period's figures.
    html = page(manager, "/admin/reports/sipas/Q1-BN?period=2026-02&compare=2026-03")[1]
    assert WITHHELD not in html and "kỳ trước: không hiển thị" in html
    district = signed_in(app, "q1@q1.example.vn")
    assert WITHHELD in page(district, "/admin/reports/sipas/Q1?period=2026-Q1")[1]
    assert WITHHELD not in page(district, "/admin/reports/sipas/Q1?period=2026-04")[1]
    token = api_token(runner, "bn@q1.example.vn")
    api = app.test_client()
    response = api.get("/api/v1/indicators?index=sipas&unit=Q1-BN&period=2026-Q1",
                       headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403 and response.get_json()["error"] == "withheld"
    response = api.get("/api/v1/indicators?index=sipas&unit=Q1-BN&period=2026-02"
                       "&compare=2026-03", headers={"Authorization": f"Bearer {token}"})
    body = response.get_json()
    assert response.status_code == 200 and body["responses"] == 10
    assert body["previous"] == {**body["previous"], "withheld": True, "responses": None,
                                "value": None}


def test_per_response_data_is_for_the_reviewing_office_and_audited(app, wards):
    manager, reviewer = signed_in(app, "bn@q1.example.vn"), signed_in(app, "reviewer@q1.example.vn")
    path = "/admin/reports/sipas/Q1-BN/responses.csv?period=2026-02"
    assert manager.get(path).status_code == 403
    assert "Dữ liệu phiếu (CSV)" not in page(manager,
                                             "/admin/reports/sipas/Q1-BN?period=2026-02")[1]
    assert "Dữ liệu phiếu (CSV)" in page(reviewer, "/admin/reports/sipas/Q1-BN?period=2026-02")[1]
    response = reviewer.get(path)
    assert response.status_code == 200
    assert len(response.get_data(as_text=True).strip().splitlines()) == 1 + 10
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(
            AuditEntry.action == "responses.download"))
        assert entry.subject == "sipas/Q1-BN" and entry.details["from"] == "2026-02-01"


def test_comments_by_month_with_a_phone_number_masked(app, wards):
    gen_paper_forms(app, forms("Q1-BN", "2026-05-04", 3) + forms(
        "Q1-BN", "2026-05-06", 2, comment="Chị Lan ở quầy 2 rất tận tình, số tôi 0903 123 456"))
    manager, reviewer = signed_in(app, "bn@q1.example.vn"), signed_in(app, "reviewer@q1.example.vn")
    html = page(manager, "/admin/reports/sipas/Q1-BN?period=2026-05")[1]
    assert "Chị [họ tên] ở quầy 2 rất tận tình, số tôi [số điện thoại]" in html
    assert "0903" not in html and "Lan" not in html
    assert "Tháng 05/2026" in html and "06/05/2026" not in html
    # The reviewing office reads them by day, masked too.
    html = page(reviewer, "/admin/reports/sipas/Q1-BN?period=2026-05")[1]
    assert "06/05/2026" in html and "0903" not in html


@pytest.mark.parametrize(("text", "masked"), [
    ("gọi 0903123456 hoặc +84 28 3829 1234", "gọi [số điện thoại] hoặc [số điện thoại]"),
    ("CCCD 079123456789, CMND 025123456", "CCCD [số giấy tờ], CMND [số giấy tờ]"),
    ("nhà số 45 đường Nguyễn Huệ, phòng 12/3 Lê Lợi", "nhà [địa chỉ], phòng [địa chỉ]"),
    ("anh Nguyễn Văn Hùng và cán bộ Tuấn", "anh [họ tên] và cán bộ [họ tên]"),
    ("thư cho a.b@gmail.com", "thư cho [thư điện tử]"),
    ("Hồ sơ 000.00.07.H29-250101-0001 trả đúng hẹn, chờ 15 phút",
     "Hồ sơ 000.00.07.H29-250101-0001 trả đúng hẹn, chờ 15 phút"),
    ("bà con hài lòng", "bà con hài lòng"),
])
def test_personal_data_masks(text, masked):
    assert mask_personal_data(text) == masked


def test_a_harassment_answer_goes_to_the_inspector_not_to_the_ward(app, wards):
    with app.app_context():
        response = gen_response("Q1-BN", date(2026, 6, 3), questionnaire="sipas-1001")
        response.comment = "Cán bộ Tuấn sách nhiễu, đòi tiền ngoài quy định"
        db.session.add_all([Answer(response_id=response.id, item_code="H1", value=3),
                            Answer(response_id=response.id, item_code="H2", value=2)])
        db.session.commit()
    manager = signed_in(app, "bn@q1.example.vn")
    inspector = signed_in(app, "inspector@q1.example.vn")
    assert manager.get("/admin/inspection?period=2026").status_code == 403
    html = page(manager, "/admin/reports/sipas/Q1-BN?period=2026-06&questionnaire=sipas-1001")[1]
    assert "sách nhiễu" not in html and "Tuấn" not in html
    status, html = page(inspector, "/admin/inspection?period=2026")
    assert status == 200
    assert "Cán bộ Tuấn sách nhiễu, đòi tiền ngoài quy định" in html
    assert "Phường Bến Nghé" in html and "có công chức gây phiền hà, sách nhiễu" in html
    row = html[html.index("<td>Phường Bến Nghé</td>"):]
    assert row[:row.index("</tr>")].count('<td class="num">1</td>') == 1
    # The inspector reads, never changes, and the reading is in the audit log.
    assert inspector.get("/admin/reports/sipas/Q1-BN?period=2026-02").status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "inspection.read")) == 1


def test_comments_are_erased_after_the_retention_period(app, wards, runner):
    with app.app_context():
        old = gen_response("Q1-BN", date(2024, 1, 5))
        old.comment = "cũ"
        recent = gen_response("Q1-BN", clock.today())
        recent.comment = "mới"
        db.session.commit()
        old_id = old.id
    result = runner.invoke(args=["responses", "forget-comments", "--days", "365"])
    assert result.exit_code == 0 and "Erased the comments of 1 responses" in result.output
    with app.app_context():
        comments = db.session.scalars(sa.select(Response.comment).where(
            Response.comment.is_not(None))).all()
        assert comments == ["mới"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer).where(
            Answer.response_id == old_id)) > 0  # the answers stay


def test_the_survey_promises_what_the_roles_do(client, survey):
    _path, html = survey
    assert ("Lãnh đạo đơn vị chỉ xem số liệu tổng hợp từ 5 phiếu trở lên và góp ý theo tháng, "
            "đã che họ tên, số điện thoại") in html
    assert "ẩn danh" not in html

