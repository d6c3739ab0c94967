"""The demo in both eras (what ``flask seed demo`` and ``make run`` seed): District 1's 10
wards and its offices until 30 June 2025, then its 4 new wards directly under Ho Chi Minh
City, from the unit list ``data/units/district1-2025.csv`` imported as an office would
import the official one.

Each old ward (and the district) gets its one-stop counter and QR code; the import's merger
then moves them to the new wards, as on 1 July 2025, so the codes printed before the
merger keep working. Since the reorganisation the city's departments own the indices that
the district's offices owned. Idempotent; only flushes, the caller commits.
"""

from __future__ import annotations

import sqlalchemy as sa

from satisfaction import clock
from satisfaction.catalogue.loading import (
    DATA_DIR,
    sync_indices,
    sync_procedure_fields,
    sync_questionnaires,
)
from satisfaction.db.catalogue import Questionnaire
from satisfaction.db.codes import Channel, QrToken
from satisfaction.db.units import Counter, Unit, UnitKind
from satisfaction.demo.district import (
    DEMO_QUESTIONNAIRE,
    DemoSummary,
    seed_admin,
    seed_alert_rule,
    seed_code,
)
from satisfaction.extensions import db
from satisfaction.units.roster import import_units, move_to_successors

UNITS_FILE = DATA_DIR / "units" / "district1-2025.csv"
CITY = "HCM"
CITY_ADMIN_EMAIL = "admin@hcm.example.vn"
#: The ward whose survey address the demo prints: Bến Nghé's counter, now Sài Gòn's.
SURVEY_WARD = "P-SG"
#: Since 1 July 2025 the city's departments own the indices the district's offices owned:
#: home affairs and administrative reform (SIPAS, PAR INDEX, PAPI), finance (PCI),
#: industry and trade (business support).
INDEX_OWNERS = {"sipas": "HCM-SNV", "par": "HCM-SNV", "papi": "HCM-SNV", "pci": "HCM-STC",
                "bsi": "HCM-SCT"}
COUNTER_NAME = {"vi": "Bộ phận tiếp nhận và trả kết quả", "en": "One-stop counter"}


class DemoError(RuntimeError):
    """The demo's own unit list did not import (a broken data file)."""


def seed_city_demo() -> DemoSummary:
    sync_questionnaires()
    sync_procedure_fields()
    result = import_units(UNITS_FILE.read_bytes())
    if result.errors:
        raise DemoError("; ".join(f"line {e.line}: {e.problem} {e.detail}"
                                  for e in result.errors))
    units = {unit.code: unit for unit in db.session.scalars(sa.select(Unit))}
    questionnaire = db.session.scalar(
        sa.select(Questionnaire).where(Questionnaire.code == DEMO_QUESTIONNAIRE))
    if not db.session.scalar(sa.select(sa.exists().where(Counter.id.is_not(None)))):
        # The counters of 2022, where they were; the merger below moves them.
        for unit in units.values():
            if unit.kind in (UnitKind.DISTRICT, UnitKind.WARD) and unit.valid_to is not None:
                seed_code(unit, questionnaire, COUNTER_NAME)
        move_to_successors(clock.today())
    password = seed_admin(units[CITY], CITY_ADMIN_EMAIL)
    sync_indices(owners=INDEX_OWNERS)
    seed_alert_rule()
    return DemoSummary(CITY_ADMIN_EMAIL, password, _current_codes(questionnaire))


def _current_codes(questionnaire: Questionnaire) -> dict[str, str]:
    """Unit code -> the token of its first current printed code, wards first."""
    rows = db.session.execute(
        sa.select(Unit.code, QrToken.token)
        .join(Counter, Counter.unit_id == Unit.id)
        .join(QrToken, QrToken.counter_id == Counter.id)
        .where(QrToken.questionnaire_id == questionnaire.id,
               QrToken.channel == Channel.QR.value, QrToken.revoked_at.is_(None),
               QrToken.replaced_by_id.is_(None))
        .order_by(Unit.kind != UnitKind.WARD.value, Unit.code, Counter.code)
    ).all()
    tokens: dict[str, str] = {}
    for code, token in rows:
        tokens.setdefault(code, token)
    return tokens
