"""The official unit list imported from CSV: District 1's merger of 1 July 2025 on top of the
2022 demo, refusals that store nothing, and counters that follow their unit."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from helpers import filled_survey

from satisfaction.db.accounts import Role, User
from satisfaction.db.catalogue import IndexDefinition
from satisfaction.db.codes import QrToken
from satisfaction.db.responses import Response
from satisfaction.db.units import Counter, Unit
from satisfaction.demo.city import UNITS_FILE
from satisfaction.extensions import db
from satisfaction.qrcodes import resolve
from satisfaction.units.roster import import_units

HEADER = "code,name_vi,name_en,kind,parent,valid_from,valid_to,successor,predecessors,email\n"


def unit(code: str) -> Unit:
    return db.session.scalar(sa.select(Unit).where(Unit.code == code))


def test_the_district_1_merger_moves_counters_staff_and_owners_and_the_codes_keep_working(
        app, client, runner, demo):
    result = runner.invoke(args=["units", "import", str(UNITS_FILE)])
    assert result.exit_code == 0, result.output
    # 23 units of the 2022 demo get their end, 10 are new (the city, 5 departments, 4 wards);
    # the district's and the 10 wards' counters move on.
    assert "33 units: 10 created, 23 updated, 0 unchanged; 11 counter(s) moved." in result.output
    with app.app_context():
        ben_nghe, sai_gon = unit("Q1-BN"), unit("P-SG")
        assert (ben_nghe.valid_to, ben_nghe.successor.code) == (date(2025, 6, 30), "P-SG")
        assert sai_gon.valid_from == date(2025, 7, 1) and sai_gon.parent.code == "HCM"
        assert {(link.predecessor.code, link.share) for link in sai_gon.predecessors} == {
            ("Q1-BN", 1.0), ("Q1-NTB", 0.25)}
        # Nguyễn Thái Bình went mostly to Bến Thành: its counter went there.
        assert unit("Q1-NTB").successor.code == "P-BT"
        assert [c.unit.code for c in db.session.scalars(
            sa.select(Counter).where(Counter.unit_id == ben_nghe.id))] == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Counter).where(
            Counter.unit_id == unit("P-BT").id)) == 3  # Bến Thành, Phạm Ngũ Lão, NTB
        owners = dict(db.session.execute(sa.select(IndexDefinition.code, Unit.code).join(
            Unit, Unit.id == IndexDefinition.owner_unit_id)).all())
        assert owners["sipas"] == "HCM-VP" and owners["pci"] == "HCM-STC"
        admin = db.session.scalar(sa.select(User).where(User.email == demo.admin_email))
        assert admin.unit.code == "HCM"

    # Bến Nghé's printed code of 2022 now answers for Sài Gòn.
    path = f"/s/{demo.survey_tokens['Q1-BN']}"
    page = client.get(path)
    assert page.status_code == 200 and "Phường Sài Gòn" in page.get_data(as_text=True)
    assert client.post(path, data=filled_survey(page.get_data(as_text=True))).status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(Response)).unit.code == "P-SG"

    again = runner.invoke(args=["units", "import", str(UNITS_FILE)])
    assert again.exit_code == 0, again.output
    assert "33 units: 0 created, 0 updated, 33 unchanged; 0 counter(s) moved." in again.output


def test_an_import_that_would_orphan_a_qr_code_is_refused_and_stores_nothing(app, runner,
                                                                              demo, tmp_path):
    file = tmp_path / "units.csv"
    file.write_text(HEADER + "P-NEW,Phường Mới,New Ward,ward,,2025-07-01,,,,\n"
                    "Q1-BN,Phường Bến Nghé,Ben Nghe Ward,ward,Q1,2000-01-01,2025-06-30,,,\n",
                    encoding="utf-8")
    result = runner.invoke(args=["units", "import", str(file)])
    assert result.exit_code != 0
    assert "Q1-BN: 1 counter(s), 1 QR code(s)" in result.output
    assert "nothing was stored" in result.output
    with app.app_context():
        assert unit("Q1-BN").valid_to is None and unit("P-NEW") is None


def test_a_bad_row_names_its_line_and_nothing_is_stored(app, demo):
    data = (HEADER + "P-A,Phường A,Ward A,ward,,2025-07-01,,,,\n"
            "P-B,Phường B,Ward B,hamlet,,2025-07-01,,,,\n"
            "P-C,Phường C,Ward C,ward,NOWHERE,31/02/2025,,,Q1-BN:1.5,\n").encode()
    with app.app_context():
        result = import_units(data)
        assert [(e.line, e.problem) for e in result.errors] == [
            (3, "bad_kind"), (4, "bad_date"), (4, "bad_share")]
        db.session.rollback()
        assert unit("P-A") is None


def test_references_dates_and_shares_are_checked_as_a_whole(app, demo):
    data = (HEADER
            + "P-A,Phường A,Ward A,ward,NOWHERE,2025-07-01,,,Q1-BN:0.6;Q1-TD,\n"
            + "P-B,Phường B,Ward B,ward,,2025-07-01,,,Q1-BN:0.6,\n").encode()
    with app.app_context():
        problems = {(e.line, e.problem) for e in import_units(data).errors}
        db.session.rollback()
    # The parent is unknown; Bến Nghé and Tân Định still exist on 1 July 2025; Bến Nghé's
    # shares add up to 1.2.
    assert problems == {(2, "unknown_parent"), (2, "predecessor_still_exists"),
                        (3, "predecessor_still_exists"), (2, "shares_over_one"),
                        (3, "shares_over_one")}


def test_a_counter_answers_for_the_successor_from_the_merger_day_until_it_moves(app, demo):
    token = demo.survey_tokens["Q1-BN"]
    with app.app_context():
        result = import_units(UNITS_FILE.read_bytes(), today=date(2025, 6, 1))
        assert not result.errors and result.moved_counters == 0  # not due yet
        db.session.commit()
        on = lambda day: resolve.find_target(  # noqa: E731
            token, today=datetime(*day, 3, 0, tzinfo=UTC)).unit_code
        assert on((2025, 6, 30)) == "Q1-BN"
        assert on((2025, 7, 1)) == "P-SG"
        # The merger day begins at midnight in Hà Nội, 17:00 UTC the day before.
        at = lambda hour, minute: resolve.find_target(  # noqa: E731
            token, today=datetime(2025, 6, 30, hour, minute, tzinfo=UTC)).unit_code
        assert (at(16, 59), at(17, 30)) == ("Q1-BN", "P-SG")
        counter = db.session.scalar(sa.select(Counter).join(QrToken).where(
            QrToken.token == token))
        assert counter.unit.code == "Q1-BN"
    runner = app.test_cli_runner()
    applied = runner.invoke(args=["units", "apply"])
    assert applied.exit_code == 0 and "11 counter(s) moved." in applied.output
    with app.app_context():
        counter = db.session.scalar(sa.select(Counter).join(QrToken).where(
            QrToken.token == token))
        assert counter.unit.code == "P-SG"


@pytest.mark.parametrize("content, problem", [
    (b"", "empty"),
    (b"code,name_vi\nA,B\n", "missing_columns"),
    (HEADER.encode() + b"", "no_rows"),
    ("code,tên\n".encode(), "unknown_columns"),
])
def test_files_refused_as_a_whole(app, demo, content, problem):
    from satisfaction.csvimport import ImportRefused

    with app.app_context(), pytest.raises(ImportRefused) as refused:
        import_units(content)
    assert refused.value.problem == problem


def test_the_administrator_imports_the_list_on_its_page_and_others_may_not(app, client,
                                                                            demo):
    from factories import gen_user, set_password, sign_in
    from helpers import read_form

    gen_user(app, "clerk@q1.example.vn", "reviewer")
    gen_user(app, "chief@q1.example.vn", "unit_manager", "Q1")
    sign_in(client, "clerk@q1.example.vn")
    assert client.get("/admin/units/import").status_code == 403
    client = app.test_client()
    set_password(app, demo.admin_email)
    sign_in(client, demo.admin_email)
    page = client.get("/admin/units/import")
    assert page.status_code == 200 and "Nhập danh sách đơn vị chính thức" in page.get_data(
        as_text=True)
    token = read_form(page.get_data(as_text=True)).hidden["csrf_token"]
    orphaning = (HEADER + "Q1-BN,Phường Bến Nghé,Ben Nghe Ward,ward,Q1,2000-01-01,"
                 "2025-06-30,,,\n").encode()
    refused = client.post("/admin/units/import", data={
        "csrf_token": token, "file": (io.BytesIO(orphaning), "units.csv")},
        content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "Q1-BN: 1 quầy, 1 mã QR" in refused.get_data(as_text=True)
    with app.app_context():
        assert unit("Q1-BN").valid_to is None
    done = client.post("/admin/units/import", data={
        "csrf_token": token, "file": (io.BytesIO(UNITS_FILE.read_bytes()), "units.csv")},
        content_type="multipart/form-data")
    text = done.get_data(as_text=True)
    assert done.status_code == 200, text[:2000]
    assert "33 đơn vị: 10 đơn vị thêm mới, 23 đơn vị cập nhật" in text
    assert "đơn vị kế thừa không cùng cấp" in text and "<li>chief@q1.example.vn</li>" in text
    assert "Q1-NTB (25 %), Q1-BN" in text or "Q1-BN, Q1-NTB (25 %)" in text


def test_a_list_without_some_columns_keeps_what_is_stored_in_them(app, runner, demo, tmp_path):
    assert runner.invoke(args=["units", "import", str(UNITS_FILE)]).exit_code == 0
    file = tmp_path / "names.csv"
    file.write_text("code,name_vi,kind,valid_from\n"
                    "P-SG,Phường Sài Gòn (mới),ward,2025-07-01\n"
                    "Q1-BN,Phường Bến Nghé,ward,2000-01-01\n", encoding="utf-8")
    result = runner.invoke(args=["units", "import", str(file)])
    assert result.exit_code == 0, result.output
    assert "2 units: 0 created, 1 updated, 1 unchanged" in result.output
    with app.app_context():
        sai_gon, ben_nghe = unit("P-SG"), unit("Q1-BN")
        assert sai_gon.name_vi == "Phường Sài Gòn (mới)" and sai_gon.name_en == "Sai Gon Ward"
        assert sai_gon.parent.code == "HCM" and sai_gon.email == "saigon@hcm.example.vn"
        assert {(link.predecessor.code, link.share) for link in sai_gon.predecessors} == {
            ("Q1-BN", 1.0), ("Q1-NTB", 0.25)}
        assert (ben_nghe.valid_to, ben_nghe.successor.code) == (date(2025, 6, 30), "P-SG")


def test_a_successor_changed_before_the_merger_day_takes_the_counter(app, demo):
    token = demo.survey_tokens["Q1-NTB"]
    changed = UNITS_FILE.read_text(encoding="utf-8").replace(
        "Q1-NTB,Phường Nguyễn Thái Bình,Nguyen Thai Binh Ward,ward,Q1,2000-01-01,2025-06-30,,",
        "Q1-NTB,Phường Nguyễn Thái Bình,Nguyen Thai Binh Ward,ward,Q1,2000-01-01,2025-06-30,"
        "P-SG,")
    assert changed != UNITS_FILE.read_text(encoding="utf-8")
    with app.app_context():
        assert not import_units(UNITS_FILE.read_bytes(), today=date(2025, 6, 1)).errors
        db.session.commit()
        assert unit("Q1-NTB").successor.code == "P-BT"
        assert not import_units(changed.encode(), today=date(2025, 6, 1)).errors
        db.session.commit()
        assert unit("Q1-NTB").successor.code == "P-SG"
        assert resolve.find_target(token, today=datetime(2025, 7, 1, 3, tzinfo=UTC)
                                   ).unit_code == "P-SG"
        from satisfaction.units.roster import move_to_successors

        assert move_to_successors(date(2025, 7, 1)).counters == 11
        db.session.commit()
        counter = db.session.scalar(sa.select(Counter).join(QrToken).where(
            QrToken.token == token))
        assert counter.unit.code == "P-SG"


def test_a_successor_must_be_in_force_the_day_after_the_end(app, demo):
    data = (HEADER + "P-LATE,Phường Muộn,Late Ward,ward,,2025-08-01,,,,\n"
            "Q1-BN,Phường Bến Nghé,Ben Nghe Ward,ward,Q1,2000-01-01,2025-06-30,P-LATE,,\n"
            "Q1-TD,Phường Tân Định,Tan Dinh Ward,ward,Q1,2000-01-01,2025-06-30,Q1-TD,,\n"
            ).encode()
    with app.app_context():
        problems = [(e.line, e.problem, e.detail) for e in import_units(data).errors]
        db.session.rollback()
        assert unit("P-LATE") is None and unit("Q1-BN").valid_to is None
    assert problems == [(3, "successor_not_in_force", "P-LATE"),
                        (4, "successor_not_in_force", "Q1-TD")]


def test_district_managers_and_owners_are_not_moved_into_the_city_and_are_listed(
        app, runner, demo):
    from factories import gen_user

    gen_user(app, "chief@q1.example.vn", Role.UNIT_MANAGER.value, "Q1")
    gen_user(app, "justice@q1.example.vn", Role.UNIT_MANAGER.value, "Q1-TP")
    gen_user(app, "sipas@q1.example.vn", Role.INDEX_OWNER.value, "Q1-VP")
    gen_user(app, "head@bennghe.example.vn", Role.UNIT_MANAGER.value, "Q1-BN")
    gen_user(app, "gone@bennghe.example.vn", Role.UNIT_MANAGER.value, "Q1-BN")
    with app.app_context():
        db.session.scalar(sa.select(User).where(
            User.email == "gone@bennghe.example.vn")).is_active = False
        db.session.commit()
    result = runner.invoke(args=["units", "import", str(UNITS_FILE)])
    assert result.exit_code == 0, result.output
    assert ("reassign them): chief@q1.example.vn, justice@q1.example.vn, "
            "sipas@q1.example.vn") in result.output
    assert "bennghe" not in result.output
    with app.app_context():
        users = dict(db.session.execute(sa.select(User.email, Unit.code).join(
            Unit, Unit.id == User.unit_id)).all())
        # The district's manager would see the whole city, its justice office's manager the
        # city's department, the owner of SIPAS in the district the city's SIPAS; a ward's
        # manager goes on to the ward that took its ward over.
        assert users["chief@q1.example.vn"] == "Q1"
        assert users["justice@q1.example.vn"] == "Q1-TP"
        assert users["sipas@q1.example.vn"] == "Q1-VP"
        assert users["head@bennghe.example.vn"] == "P-SG"
        assert users["gone@bennghe.example.vn"] == "Q1-BN"  # deactivated: left alone
    again = runner.invoke(args=["units", "apply"])
    assert "chief@q1.example.vn, justice@q1.example.vn" in again.output  # until reassigned


def test_a_successor_chosen_by_its_share_must_be_in_force_too(app, demo):
    data = (HEADER + "P-LATE,Phường Muộn,Late Ward,ward,,2025-08-01,,,Q1-BN,\n"
            "Q1-BN,Phường Bến Nghé,Ben Nghe Ward,ward,Q1,2000-01-01,2025-06-30,,,\n").encode()
    with app.app_context():
        problems = [(e.line, e.problem, e.detail) for e in import_units(data).errors]
        db.session.rollback()
    assert problems == [(3, "successor_not_in_force", "P-LATE")]


def test_new_units_may_point_at_each_other(app, demo):
    # A city that lasts half a year, then hands over to the ward below it.
    data = (HEADER + "T-A,Phường A,Ward A,ward,T-B,2025-07-01,,,,\n"
            "T-B,Đặc khu B,Zone B,special_zone,,2025-07-01,2025-12-31,T-A,,\n").encode()
    with app.app_context():
        result = import_units(data)
        assert not result.errors and result.created == 2
        db.session.commit()
        assert unit("T-A").parent.code == "T-B" and unit("T-B").successor.code == "T-A"


def test_a_code_resolved_before_midnight_is_not_reused_after_it(app, demo, monkeypatch):
    """The remembered code of 30 June does not answer for Bến Nghé at 00:30 on the merger
    day (17:30 UTC): the local day is part of what is remembered."""
    token = demo.survey_tokens["Q1-BN"]
    monkeypatch.setitem(app.config, "SURVEY_CODE_CACHE_SECONDS", 3600)
    resolve._targets.clear()
    with app.app_context():
        assert not import_units(UNITS_FILE.read_bytes(), today=date(2025, 6, 1)).errors
        db.session.commit()
        monkeypatch.setattr(resolve, "utcnow", lambda: datetime(2025, 6, 30, 16, 59, tzinfo=UTC))
        assert resolve.find_target(token).unit_code == "Q1-BN"
        monkeypatch.setattr(resolve, "utcnow", lambda: datetime(2025, 6, 30, 17, 30, tzinfo=UTC))
        assert resolve.find_target(token).unit_code == "P-SG"
    resolve._targets.clear()
