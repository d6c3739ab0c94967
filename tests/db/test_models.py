"""Invariants the database itself enforces, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from satisfaction.db.catalogue import QuestionnaireVersion
from satisfaction.db.responses import Answer, Response
from satisfaction.db.units import Unit
from satisfaction.extensions import db


def make_response(**overrides) -> Response:
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == "Q1-BN"))
    version = db.session.scalar(sa.select(QuestionnaireVersion))
    values = dict(
        submission_key="key-1", questionnaire_version_id=version.id, unit_id=unit.id,
        respondent_kind="citizen", channel="qr", locale="vi",
    )
    values.update(overrides)
    return Response(**values)


@pytest.fixture
def ctx(app, demo):
    with app.app_context():
        yield
        db.session.rollback()


@pytest.mark.parametrize(
    "overrides",
    [
        {"respondent_kind": "robot"},
        {"channel": "fax"},
        {"status": "deleted"},
        {"comment": "x" * 2001},
    ],
)
def test_response_checks(ctx, overrides):
    db.session.add(make_response(**overrides))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_submission_key_is_unique(ctx):
    db.session.add(make_response())
    db.session.flush()
    db.session.add(make_response())
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_one_answer_per_item_and_no_zero_scores(ctx):
    response = make_response()
    db.session.add(response)
    db.session.flush()
    db.session.add(Answer(response_id=response.id, item_code="A1", value=0))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    response = make_response()
    db.session.add(response)
    db.session.flush()
    db.session.execute(sa.insert(Answer).values(response_id=response.id, item_code="A1"))
    with pytest.raises(IntegrityError):
        db.session.execute(
            sa.insert(Answer).values(response_id=response.id, item_code="A1", value=4)
        )


def test_unit_validity_and_succession(ctx):
    old = db.session.scalar(sa.select(Unit).where(Unit.code == "Q1-BN"))
    new = Unit(code="SG", kind="ward", name_vi="Phường Sài Gòn", name_en="Sai Gon Ward",
               valid_from=date(2025, 7, 1))
    db.session.add(new)
    old.valid_to = date(2025, 6, 30)
    old.successor = new
    db.session.flush()
    assert old.is_active_on(date(2025, 6, 30)) and not old.is_active_on(date(2025, 7, 1))
    assert new.is_active_on(date(2025, 7, 1))
    assert old.successor.code == "SG"

    old.valid_to = date(1999, 1, 1)  # ends before it starts
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    db.session.add(Unit(code="X", kind="hamlet", name_vi="X", name_en="X",
                        valid_from=date(2020, 1, 1)))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_naive_timestamps_are_refused(ctx):
    db.session.add(make_response(submitted_at=datetime(2026, 1, 1, 8, 0)))
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        db.session.flush()
    db.session.rollback()
    db.session.add(make_response(submitted_at=datetime(2026, 1, 1, 8, 0, tzinfo=UTC)))
    db.session.flush()
