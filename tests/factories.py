"""Factories for the objects most tests need (in the manner of CTFd's ``gen_*`` helpers):
staff accounts and their sign-in, paper forms loaded as a batch, single responses, API
tokens. Each commits what it makes, as a request would.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime, time

import sqlalchemy as sa
from helpers import read_form

from satisfaction import clock
from satisfaction.accounts.access import SYSTEM_SCOPE
from satisfaction.accounts.auth import hash_password
from satisfaction.catalogue.lookup import definition_of, newest_version
from satisfaction.counts import updates
from satisfaction.db.accounts import User
from satisfaction.db.responses import Answer, Response, ResponseStatus
from satisfaction.db.units import Unit
from satisfaction.extensions import db
from satisfaction.intake.dossiers import hash_code
from satisfaction.intake.paper import import_paper_forms

#: The password of every account the factories make.
PASSWORD = "mật-khẩu-thử-nghiệm-dài"
#: The criteria of SIPAS (QĐ 2640), in form order.
ITEMS = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "B5", "C1", "C2", "C3", "C4", "C5",
         "C6", "D1", "D2", "D3", "E1", "E2", "E3", "E4"]


def gen_user(app, email: str, role: str, unit_code: str | None = None) -> None:
    """A staff account with ``PASSWORD``."""
    with app.app_context():
        unit = (db.session.scalar(sa.select(Unit).where(Unit.code == unit_code))
                if unit_code else None)
        db.session.add(User(email=email, role=role, unit_id=unit.id if unit else None,
                            password_hash=hash_password(PASSWORD)))
        db.session.commit()


def set_password(app, email: str, password: str = PASSWORD) -> str:
    """Give an existing account (the demo's administrator, say) a known password, as if its
    owner had chosen it (no change asked at the next sign-in)."""
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        user.password_hash = hash_password(password)
        user.must_change_password = False
        db.session.commit()
    return password


def post_sign_in(client, email: str, password: str = PASSWORD):
    """The sign-in form posted with its real CSRF token; the response, whatever it is."""
    form = read_form(client.get("/admin/login").get_data(as_text=True))
    return client.post("/admin/login", data={
        "csrf_token": form.hidden["csrf_token"], "email": email, "password": password})


def sign_in(client, email: str, password: str = PASSWORD) -> None:
    response = post_sign_in(client, email, password)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


def api_token(runner, email: str) -> str:
    result = runner.invoke(args=["users", "token", "--email", email])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def paper_csv(rows: list[tuple[str, str, dict[str, str]]], default: str = "4") -> bytes:
    """Rows of (unit, date, overrides); every item not overridden gets ``default``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["unit", "date", *ITEMS, "comment"])
    for unit, day, overrides in rows:
        comment = overrides.pop("comment", "")
        writer.writerow([unit, day, *(overrides.get(code, default) for code in ITEMS), comment])
    return out.getvalue().encode("utf-8")


def gen_paper_forms(app, rows, **kwargs):
    """SIPAS paper forms (``paper_csv`` rows) entered as one batch, as the office does."""
    with app.app_context():
        result = import_paper_forms("sipas-2640", paper_csv(rows, **kwargs), SYSTEM_SCOPE)
        assert result.ok, result.errors
        db.session.commit()
        return result


def gen_response(unit_code: str, day: date, *, dossier: str | None = None,
                 status: str = ResponseStatus.ACCEPTED.value, value: int = 4,
                 questionnaire: str = "sipas-2640") -> Response:
    """A response stored directly (call inside an app context; the caller commits),
    counted like the survey counts it when accepted."""
    version = newest_version(questionnaire)
    definition = definition_of(version.id, version.checksum)
    unit_id = db.session.scalar(sa.select(Unit.id).where(Unit.code == unit_code))
    answers = {item.code: value for item in definition.scored_items()}
    response = Response(
        submission_key=str(uuid.uuid4()), questionnaire_version_id=version.id,
        unit_id=unit_id, respondent_kind="citizen", channel="qr", locale="vi",
        submitted_at=datetime.combine(day, time(10, 0), clock.LOCAL_TZ),
        status=status, dossier_hash=hash_code(dossier) if dossier else None,
        flags=["too_fast"] if status == ResponseStatus.QUARANTINED.value else None,
    )
    db.session.add(response)
    db.session.flush()
    db.session.execute(sa.insert(Answer), [
        {"response_id": response.id, "item_code": c, "value": v} for c, v in answers.items()])
    if status == ResponseStatus.ACCEPTED.value:
        updates.add_response(day=day, unit_id=unit_id, version_id=version.id,
                             answers=answers, definition=definition)
    return response
