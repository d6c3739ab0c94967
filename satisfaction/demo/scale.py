"""A synthetic deployment the size of a city (168 wards and communes, Ho Chi Minh City's
number since 1 July 2025) or of the country (3,321): for benchmarks, never for real data.

The units go in through the same CSV import as the official list (``units.roster``): one
city, or provinces of about a hundred wards and communes each, every one with a one-stop
counter and its QR code, a department owning the indices, the default alert rule, and
synthetic answers spread over the units' counters. Only flushes; the caller commits.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date

import sqlalchemy as sa

from satisfaction.catalogue.loading import sync_indices, sync_procedure_fields, sync_questionnaires
from satisfaction.catalogue.lookup import newest_version
from satisfaction.db.codes import Channel, QrToken
from satisfaction.db.units import Counter, Unit, UnitKind
from satisfaction.demo.district import DEMO_QUESTIONNAIRE, seed_alert_rule
from satisfaction.demo.synthetic import Place, generate
from satisfaction.extensions import db
from satisfaction.qrcodes.codes import new_short_code, new_token
from satisfaction.units.roster import COLUMNS, import_units

#: Wards and communes per province when the deployment holds more than one.
PER_PROVINCE = 100
ONE_CITY_UP_TO = 200
START = date(2000, 1, 1)


class ScaleError(RuntimeError):
    """The synthetic unit list did not import."""


def unit_list(units: int) -> bytes:
    """The CSV of a synthetic deployment with ``units`` wards and communes."""
    provinces = 1 if units <= ONE_CITY_UP_TO else -(-units // PER_PROVINCE)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for p in range(provinces):
        top = f"T{p:02d}"
        kind = UnitKind.CITY if provinces == 1 else UnitKind.PROVINCE
        writer.writerow([top, f"Tỉnh thử nghiệm {p}", f"Test province {p}", kind.value, "",
                         START, "", "", "", f"{top.lower()}@example.vn"])
        writer.writerow([f"{top}-SNV", f"Sở Nội vụ {p}", f"Home Affairs {p}",
                         UnitKind.OFFICE.value, top, START, "", "", "", ""])
    for i in range(units):
        top = f"T{min(i // PER_PROVINCE, provinces - 1) if provinces > 1 else 0:02d}"
        kind = UnitKind.WARD if i % 3 else UnitKind.COMMUNE
        writer.writerow([f"{top}-X{i:04d}", f"Phường/xã {i}", f"Ward or commune {i}",
                         kind.value, top, START, "", "", "", f"x{i}@example.vn"])
    return out.getvalue().encode("utf-8")


def seed_scale(units: int, responses: int = 0, start: date | None = None,
               end: date | None = None, seed: int = 1) -> int:
    """The synthetic deployment and ``responses`` answers between ``start`` and ``end``;
    returns the number of wards and communes."""
    sync_questionnaires()
    sync_procedure_fields()
    result = import_units(unit_list(units))
    if result.errors:
        raise ScaleError("; ".join(f"line {e.line}: {e.problem}" for e in result.errors[:5]))
    sync_indices(owners=dict.fromkeys(("sipas", "par", "papi", "pci", "bsi"), "T00-SNV"))
    seed_alert_rule()
    places = _counters(seed)
    if responses:
        version = newest_version(DEMO_QUESTIONNAIRE)
        generate(version.id, responses, start, end, places=places, seed=seed, batch=50_000)
    return len(places)


def _counters(seed: int) -> list[Place]:
    """A counter and a printed QR code for each ward and commune (in bulk: thousands)."""
    rng = random.Random(seed)
    questionnaire = newest_version(DEMO_QUESTIONNAIRE).questionnaire
    local = db.session.scalars(sa.select(Unit).where(
        Unit.kind.in_([UnitKind.WARD.value, UnitKind.COMMUNE.value])).order_by(Unit.code)).all()
    has_counter = set(db.session.scalars(sa.select(Counter.unit_id)))
    missing = [unit for unit in local if unit.id not in has_counter]
    if missing:
        db.session.execute(sa.insert(Counter), [
            {"unit_id": unit.id, "code": "MC1", "name_vi": "Bộ phận Một cửa",
             "name_en": "One-stop counter"} for unit in missing])
        counters = dict(db.session.execute(sa.select(Counter.unit_id, Counter.id).where(
            Counter.unit_id.in_([unit.id for unit in missing]))).all())
        db.session.execute(sa.insert(QrToken), [
            {"token": new_token(), "short_code": new_short_code(), "counter_id": counters[u.id],
             "questionnaire_id": questionnaire.id, "channel": Channel.QR.value}
            for u in missing])
    counters = dict(db.session.execute(sa.select(Counter.unit_id, Counter.id)).all())
    # Most units near the target, one in fifty clearly below.
    return [Place(unit.id, counters[unit.id],
                  0.80 if i % 50 == 0 else rng.uniform(0.9, 0.96), unit.valid_from)
            for i, unit in enumerate(local)]
