"""The demo of `make run`: District 1 before and after the reorganisation of 1 July 2025."""

from __future__ import annotations

import math
from datetime import date

import sqlalchemy as sa
from helpers import filled_survey

from satisfaction.accounts.access import SYSTEM_SCOPE
from satisfaction.catalogue.lookup import newest_version
from satisfaction.clock import local_bounds
from satisfaction.db.responses import Response
from satisfaction.db.units import Counter, Unit
from satisfaction.demo.city import SURVEY_WARD, seed_city_demo
from satisfaction.demo.synthetic import generate
from satisfaction.extensions import db
from satisfaction.indices.periods import year
from satisfaction.reporting.reports import unit_report


def test_the_old_wards_end_and_their_codes_answer_for_the_new_ones(app, client, city_demo):
    with app.app_context():
        wards = {u.code: u for u in db.session.scalars(sa.select(Unit).where(
            Unit.kind == "ward"))}
        assert {c for c, u in wards.items() if u.valid_to is None} == {
            "P-TD", "P-SG", "P-BT", "P-COL"}
        assert all(u.valid_to == date(2025, 6, 30) for c, u in wards.items()
                   if c.startswith("Q1-"))
        # Every counter of 2022 is now at a new ward (or the district's, at the city).
        assert {u.code for u in db.session.scalars(
            sa.select(Unit).join(Counter, Counter.unit_id == Unit.id))} == {
            "HCM", "P-TD", "P-SG", "P-BT", "P-COL"}
        again = seed_city_demo()  # idempotent: nothing new
        db.session.commit()
        assert again.survey_tokens == city_demo.survey_tokens
    path = f"/s/{city_demo.survey_tokens[SURVEY_WARD]}"
    page = client.get(path).get_data(as_text=True)
    assert client.post(path, data=filled_survey(page)).status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(Response)).unit.code == SURVEY_WARD


def test_answers_in_both_eras_give_a_new_ward_a_2024(app, city_demo):
    def responses_in_2024(code: str) -> int:
        start, end = local_bounds(date(2024, 1, 1), date(2024, 12, 31))
        return db.session.scalar(sa.select(sa.func.count()).select_from(Response).join(
            Unit, Unit.id == Response.unit_id).where(
            Unit.code == code, Response.submitted_at.between(start, end)))

    with app.app_context():
        generate(newest_version("sipas-2640").id, 3000, date(2024, 1, 1), date(2026, 11, 30),
                 seed=5)
        db.session.commit()
        # Nothing is stored against a new ward before it existed ...
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response).join(
            Unit, Unit.id == Response.unit_id).where(
            Unit.code.like("P-%"),
            Response.submitted_at < local_bounds(date(2025, 7, 1), date(2025, 7, 1))[0])) == 0
        # ... yet its 2024 is Bến Nghé's answers and a quarter of Nguyễn Thái Bình's.
        sai_gon = unit_report(SYSTEM_SCOPE, "sipas", "P-SG", year(2024))
        # A quarter of the answers, a half rounded up (not round(): half to even).
        quarter = math.floor(0.25 * responses_in_2024("Q1-NTB") + 0.5)
        expected = responses_in_2024("Q1-BN") + quarter
        assert sai_gon.result.responses == expected > 0
        assert sai_gon.result.estimated and sai_gon.result.value is not None
        assert not unit_report(SYSTEM_SCOPE, "sipas", "P-SG", year(2026)).result.estimated
