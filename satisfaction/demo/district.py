"""District 1 as the official letter of 2022 knew it: the district, its offices, 10 wards
with a counter and QR code each, the shipped questionnaires and procedure fields, an
administrator and the SIPAS alert rule. The test suite's demo; ``demo.city`` adds the 2025
reorganisation (what ``flask seed demo`` seeds).

Idempotent: running it again reuses what is there. Only flushes; the caller commits.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from satisfaction.accounts.auth import hash_password
from satisfaction.alerts.rules import add_rule
from satisfaction.catalogue.loading import (
    DATA_DIR,
    sync_indices,
    sync_procedure_fields,
    sync_questionnaires,
)
from satisfaction.db.accounts import Role, User
from satisfaction.db.alerts import AlertRule
from satisfaction.db.catalogue import Questionnaire
from satisfaction.db.codes import Channel, QrToken
from satisfaction.db.units import Counter, Unit, UnitKind
from satisfaction.extensions import db
from satisfaction.qrcodes.codes import new_short_code, new_token

DEMO_ADMIN_EMAIL = "admin@q1.example.vn"
#: The questionnaire printed on every counter's code in the demo.
DEMO_QUESTIONNAIRE = "sipas-2640"


def _upsert_unit(code: str, **values) -> Unit:
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == code))
    if unit is None:
        unit = Unit(code=code, **values)
        db.session.add(unit)
        db.session.flush()
    return unit


@dataclass
class DemoSummary:
    admin_email: str
    #: The generated password, only when the administrator was created by this call.
    admin_password: str | None
    survey_tokens: dict[str, str]


def seed_district1(
    path: Path = DATA_DIR / "district1.json", *, valid_from: date | None = None
) -> DemoSummary:
    """The District 1 demo: the district, its offices, 10 wards with a counter and QR code
    each, the shipped questionnaires and procedure fields, and an administrator."""
    sync_questionnaires()
    sync_procedure_fields()
    data = json.loads(path.read_text(encoding="utf-8"))
    start = valid_from or date.fromisoformat(data["district"].get("valid_from", "2000-01-01"))
    district, wards = _seed_units(data, start)
    questionnaire = db.session.scalar(
        sa.select(Questionnaire).where(Questionnaire.code == DEMO_QUESTIONNAIRE)
    )
    tokens = {unit.code: seed_code(unit, questionnaire, data["counters"]["name"])
              for unit in [district, *wards]}
    password = seed_admin(district)
    sync_indices()
    seed_alert_rule()
    return DemoSummary(DEMO_ADMIN_EMAIL, password, tokens)


def _seed_units(data: dict, start: date) -> tuple[Unit, list[Unit]]:
    """The district, its offices and its wards; returns the district and the wards."""
    district_row = data["district"]
    district = _upsert_unit(
        district_row["code"],
        kind=UnitKind.DISTRICT.value,
        name_vi=district_row["name"]["vi"],
        name_en=district_row["name"]["en"],
        email=district_row.get("email"),
        valid_from=start,
    )
    wards = []
    for kind, rows in ((UnitKind.OFFICE, data["offices"]), (UnitKind.WARD, data["wards"])):
        for row in rows:
            unit = _upsert_unit(
                row["code"],
                kind=kind.value,
                name_vi=row["name"]["vi"],
                name_en=row["name"]["en"],
                email=row.get("email"),
                parent_id=district.id,
                valid_from=start,
            )
            if kind is UnitKind.WARD:
                wards.append(unit)
    return district, wards


def seed_code(unit: Unit, questionnaire: Questionnaire, counter_name: dict) -> str:
    """The unit's counter "MC1" and its current printed code; returns the code's token."""
    counter = db.session.scalar(
        sa.select(Counter).where(Counter.unit_id == unit.id, Counter.code == "MC1")
    )
    if counter is None:
        counter = Counter(
            unit=unit, code="MC1", name_vi=counter_name["vi"], name_en=counter_name["en"]
        )
        db.session.add(counter)
        db.session.flush()
    # The current printed code: a rotated one (replaced, in its grace period) is not.
    token = db.session.scalar(
        sa.select(QrToken)
        .where(
            QrToken.counter_id == counter.id,
            QrToken.questionnaire_id == questionnaire.id,
            QrToken.channel == Channel.QR.value,
            QrToken.revoked_at.is_(None),
            QrToken.replaced_by_id.is_(None),
        )
        .order_by(QrToken.id)
        .limit(1)
    )
    if token is None:
        token = QrToken(
            token=new_token(), counter=counter, questionnaire=questionnaire, label="SIPAS"
        )
        db.session.add(token)
    if token.short_code is None:
        # Codes seeded before short codes existed get one too.
        token.short_code = new_short_code()
    db.session.flush()
    return token.token


def seed_admin(district: Unit, email: str = DEMO_ADMIN_EMAIL) -> str | None:
    """The demo's administrator; its generated password when it was created now."""
    if db.session.scalar(sa.select(User).where(User.email == email)) is not None:
        return None
    password = secrets.token_urlsafe(12)
    db.session.add(User(
        email=email,
        name="Quản trị hệ thống",
        role=Role.ADMIN.value,
        password_hash=hash_password(password),
        unit_id=district.id,
        # Printed on the terminal: whoever signs in first chooses the real one.
        must_change_password=True,
    ))
    db.session.flush()
    return password


def seed_alert_rule() -> None:
    """The demo's SIPAS rules, one per questionnaire (the QĐ 2640 counter form, the QĐ 1001
    service part): 90 %, the index and its elements watched, a 7-point drop caught, at most
    one false alert in 5 years per unit, at least 30 answers, evidence over 30 days."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(AlertRule)) == 0:
        for questionnaire in ("sipas-2640", "sipas-1001"):
            add_rule(index_code="sipas", questionnaire=questionnaire, target=90,
                     window="30d", min_n=30, false_flag_rate=0.05)
