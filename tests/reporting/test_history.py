"""Series across the 2025 reorganisation: a new ward before it existed is its predecessors'
answers (a split one by its share, marked as an estimate), an old ward after its end says
where its counters went, and a year after the merger compares with a year before it."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from factories import api_token, gen_paper_forms, gen_user, sign_in

from satisfaction.accounts.access import SYSTEM_SCOPE
from satisfaction.alerts.check import check
from satisfaction.db.accounts import AuditEntry, Role
from satisfaction.db.alerts import Alert, AlertRule
from satisfaction.db.units import Unit
from satisfaction.demo.city import UNITS_FILE
from satisfaction.extensions import db
from satisfaction.indices.periods import year
from satisfaction.reporting.reports import unit_report
from satisfaction.units.roster import import_units


@pytest.fixture
def merged(app, demo):
    """2024 in the 2022 district: Bến Nghé 4 forms answering 4 everywhere (satisfied),
    Nguyễn Thái Bình 8 forms answering 2 (not satisfied), Tân Định 5 forms answering 5.
    Then the merger of 1 July 2025: Sài Gòn = Bến Nghé + 25 % of Nguyễn Thái Bình,
    Tân Định (new) = Tân Định + Đa Kao."""
    gen_paper_forms(app, [("Q1-BN", "2024-05-06", {}) for _ in range(4)])
    gen_paper_forms(app, [("Q1-NTB", "2024-05-07", {}) for _ in range(8)], default="2")
    gen_paper_forms(app, [("Q1-TD", "2024-09-10", {}) for _ in range(5)], default="5")
    with app.app_context():
        assert not import_units(UNITS_FILE.read_bytes()).errors
        db.session.commit()
    return demo


def report(app, unit_code, period, **kwargs):
    with app.app_context():
        return unit_report(SYSTEM_SCOPE, "sipas", unit_code, period, **kwargs)


def test_a_new_ward_in_2024_is_its_whole_predecessor_plus_the_share_of_the_split_one(
        app, client, merged):
    sai_gon = report(app, "P-SG", year(2024))
    # Bến Nghé's 4 satisfied forms + 25 % of Nguyễn Thái Bình's 8 unsatisfied ones = 2:
    # every criterion 4 of 6, so every element and the index 66.7 %.
    assert sai_gon.result.responses == 6
    assert sai_gon.result.value == pytest.approx(100 * 4 / 6)
    assert all(e.value == pytest.approx(100 * 4 / 6) for e in sai_gon.result.score.elements)
    assert sai_gon.result.estimated
    assert [(a.unit.code, a.share, a.is_estimate) for a in sai_gon.predecessors] == [
        ("Q1-BN", 1.0, False), ("Q1-NTB", 0.25, True)]
    assert [p.estimated for p in sai_gon.trend][4] is True  # May 2024

    tan_dinh = report(app, "P-TD", year(2024))  # whole predecessors only: exact
    assert (tan_dinh.result.responses, tan_dinh.result.value) == (5, pytest.approx(100.0))
    assert not tan_dinh.result.estimated

    gen_user(app, "sonoivu@hcm.example.vn", Role.REVIEWER)
    token = api_token(app.test_cli_runner(), "sonoivu@hcm.example.vn")
    body = client.get("/api/v1/indicators?index=sipas&unit=P-SG&period=2024",
                      headers={"Authorization": f"Bearer {token}"}).json
    assert body["responses"] == 6 and body["value"] == pytest.approx(66.6667)
    assert body["estimated"] is True
    assert [(p["code"], p["share"], p["estimated"]) for p in body["predecessors"]] == [
        ("Q1-BN", 1.0, False), ("Q1-NTB", 0.25, True)]
    assert body["predecessors"][0]["to"] == "2024-12-31"

    sign_in(client, "sonoivu@hcm.example.vn")
    page = client.get("/admin/reports/sipas/P-SG?period=2024").get_data(as_text=True)
    assert "Ước tính" in page and "Phường Nguyễn Thái Bình: 25 % số phiếu (ước tính)" in page
    assert "Phường Bến Nghé: toàn bộ số phiếu" in page


def test_2026_compared_with_2024_for_a_new_ward(app, client, merged):
    gen_paper_forms(app, [("P-SG", "2026-02-03", {}) for _ in range(3)], default="5")
    sai_gon = report(app, "P-SG", year(2026), compare=year(2024))
    assert sai_gon.compared_with == year(2024)
    assert (sai_gon.result.value, sai_gon.result.estimated) == (pytest.approx(100.0), False)
    assert (sai_gon.previous.value, sai_gon.previous.estimated) == (
        pytest.approx(100 * 4 / 6), True)
    assert sai_gon.change == pytest.approx(100 / 3)

    gen_user(app, "sonoivu@hcm.example.vn", Role.REVIEWER)
    sign_in(client, "sonoivu@hcm.example.vn")
    page = client.get("/admin/reports/sipas/P-SG?period=2026&compare=2024")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Thay đổi so với 2024" in text
    assert "+33,3" in text and "(ước tính)" in text
    assert client.get("/admin/reports/sipas/P-SG?period=2026&compare=Q4").status_code == 422


def test_an_old_ward_after_its_end_says_where_its_counters_went(app, client, merged):
    ben_nghe = report(app, "Q1-BN", year(2026))
    assert ben_nghe.ended and ben_nghe.result.value is None
    gen_user(app, "sonoivu@hcm.example.vn", Role.REVIEWER)
    sign_in(client, "sonoivu@hcm.example.vn")
    page = client.get("/admin/reports/sipas/Q1-BN?period=2026").get_data(as_text=True)
    assert ("Đơn vị này hoạt động đến hết ngày 30/06/2025. Các quầy của đơn vị đã "
            "chuyển về Phường Sài Gòn.") in page
    assert "/admin/reports/sipas/P-SG?period=2026" in page


def test_the_city_counts_each_answer_once_across_the_merger(app, merged):
    gen_paper_forms(app, [("P-SG", "2025-08-01", {}) for _ in range(3)])
    gen_paper_forms(app, [("Q1-BN", "2025-03-01", {}) for _ in range(2)])
    city = report(app, "HCM", year(2025))
    assert city.result.responses == 5 and not city.result.estimated
    # The district (until June) and the new wards (from July) are its units in 2025;
    # each answer is counted once, in the unit that existed when it was given.
    by_code = {child.unit.code: child.responses for child in city.children}
    assert by_code["Q1"] == 2 and by_code["P-SG"] == 3
    assert sum(by_code.values()) == city.result.responses
    assert "P-SG" not in {c.unit.code for c in report(app, "HCM", year(2024)).children}


@pytest.mark.parametrize("today", [date(2025, 7, 5), date(2026, 3, 31)])
def test_a_live_alert_of_a_ward_that_ended_is_closed(app, demo, today):
    # Bến Nghé's last June is far below target: a window that still holds those days but
    # ends after the merger does not judge the ward that no longer exists.
    gen_paper_forms(app, [("Q1-BN", "2025-06-20", {}) for _ in range(40)], default="1")
    with app.app_context():
        rule = db.session.scalar(sa.select(AlertRule))
        ben_nghe = db.session.scalar(sa.select(Unit).where(Unit.code == "Q1-BN"))
        db.session.add(Alert(rule_id=rule.id, unit_id=ben_nghe.id, measure="",
                             window_start=date(2025, 6, 1), window_end=date(2025, 6, 30),
                             value=70.0, n=200, target=90.0))
        assert not import_units(UNITS_FILE.read_bytes()).errors
        db.session.commit()
        report_ = check(today)
        db.session.commit()
        alert = db.session.scalar(sa.select(Alert).where(Alert.unit_id == ben_nghe.id))
        assert alert.state == "cleared" and alert in report_.cleared
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Alert).where(
            Alert.unit_id == ben_nghe.id)) == 1
        assert db.session.scalar(sa.select(AuditEntry.details).where(
            AuditEntry.action == "alerts.clear")) == {"reason": "unit_ended"}


def test_the_district_value_pooled_and_weighted_by_each_wards_dossiers(app, client, demo):
    """Bến Nghé: 20 forms, all satisfied, 10 dossiers handled; Tân Định: 4 forms, none
    satisfied, 90 dossiers. Pooled, Bến Nghé's many answers dominate (20 of 24 = 83.3 %);
    weighted by dossiers, Tân Định's work does (100 × 10 + 0 × 90) / 100 = 10 %."""
    from satisfaction.intake.dossiers import import_dossiers

    gen_paper_forms(app, [("Q1-BN", "2026-03-02", {}) for _ in range(20)])
    gen_paper_forms(app, [("Q1-TD", "2026-03-03", {}) for _ in range(4)], default="2")
    rows = ["code,unit,procedure_field,received_on,returned_on"]
    rows += [f"000.00.20.H29-BN-{n:05d},Q1-BN,,2026-03-01,2026-03-05" for n in range(10)]
    rows += [f"000.00.20.H29-TD-{n:05d},Q1-TD,,2026-03-01,2026-03-05" for n in range(90)]
    with app.app_context():
        result = import_dossiers("\n".join(rows).encode(), SYSTEM_SCOPE,
                                 today=date(2026, 4, 1))
        assert not result.errors
        db.session.commit()
    district = report(app, "Q1", year(2026))
    assert district.result.value == pytest.approx(100 * 20 / 24)
    assert (district.weighted.value, district.weighted.units, district.weighted.dossiers) == (
        pytest.approx(10.0), 2, 100)
    gen_user(app, "vp@q1.example.vn", Role.REVIEWER)
    token = api_token(app.test_cli_runner(), "vp@q1.example.vn")
    body = client.get("/api/v1/indicators?index=sipas&unit=Q1&period=2026",
                      headers={"Authorization": f"Bearer {token}"}).json
    assert body["weighted_by_dossiers"] == {"value": pytest.approx(10.0), "units": 2,
                                            "dossiers": 100}
    sign_in(client, "vp@q1.example.vn")
    page = client.get("/admin/reports/sipas/Q1?period=2026").get_data(as_text=True)
    assert "Tỷ lệ hài lòng bình quân gia quyền theo số hồ sơ: 10,0 %" in page
    assert report(app, "Q1-BN", year(2026)).weighted is None  # no units below
