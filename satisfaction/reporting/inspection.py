"""What the inspector role reads: the answers that accuse staff (QĐ 1001's harassment and
informal-payment questions) by unit, and the comments that accuse staff, in full. Neither
reaches the head of the unit concerned (``accounts.access``); each reading is audited by
the page that shows it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from satisfaction.accounts.access import STAFF_ACCUSATION_ITEMS, Permission, Scope
from satisfaction.catalogue.lookup import definition_of
from satisfaction.clock import local_bounds, local_day
from satisfaction.db.catalogue import Questionnaire, QuestionnaireVersion
from satisfaction.db.responses import Answer, Response, ResponseStatus
from satisfaction.db.units import Unit
from satisfaction.extensions import db
from satisfaction.indices.periods import Period
from satisfaction.privacy import accuses_staff

#: The most accusing comments listed at once.
COMMENT_LIMIT = 500


@dataclass(frozen=True)
class AccusationItem:
    questionnaire: str
    code: str
    text: dict[str, str]
    #: The scale's levels, (value, labels), in order.
    levels: tuple[tuple[int, dict[str, str]], ...]
    #: Unit -> value -> accepted answers.
    by_unit: dict[Unit, dict[int, int]]


@dataclass(frozen=True)
class AccusingComment:
    unit: Unit
    day: date
    text: str


@dataclass(frozen=True)
class Inspection:
    period: Period
    items: tuple[AccusationItem, ...]
    comments: tuple[AccusingComment, ...]


def staff_accusations(scope: Scope, period: Period) -> Inspection:
    """The period's answers to the questions that accuse staff, per unit and level, and
    the comments that accuse staff; for a scope that may inspect (403 otherwise)."""
    scope.require(Permission.INSPECT)
    start, end = local_bounds(period.start, period.end)
    in_period = (Response.status == ResponseStatus.ACCEPTED.value,
                 Response.submitted_at.between(start, end), scope.unit_filter(Response.unit_id))
    units = {u.id: u for u in db.session.scalars(sa.select(Unit))}
    items = []
    for code, item_codes in sorted(STAFF_ACCUSATION_ITEMS.items()):
        versions = db.session.scalars(
            sa.select(QuestionnaireVersion).join(Questionnaire)
            .where(Questionnaire.code == code).order_by(QuestionnaireVersion.version)).all()
        if not versions:
            continue
        definition = definition_of(versions[-1].id, versions[-1].checksum)
        counts: dict[str, dict[Unit, dict[int, int]]] = {c: {} for c in item_codes}
        for unit_id, item_code, value, n in db.session.execute(
            sa.select(Response.unit_id, Answer.item_code, Answer.value, sa.func.count())
            .join(Answer, Answer.response_id == Response.id)
            .where(*in_period, Response.questionnaire_version_id.in_([v.id for v in versions]),
                   Answer.item_code.in_(sorted(item_codes)), Answer.value.is_not(None))
            .group_by(Response.unit_id, Answer.item_code, Answer.value)
        ):
            counts[item_code].setdefault(units[unit_id], {})[value] = n
        for item_code in sorted(item_codes):
            item = definition.item(item_code)
            scale = item.scale
            items.append(AccusationItem(
                code, item_code, dict(item.text),
                tuple((option.value, dict(option.label)) for option in scale.options),
                dict(sorted(counts[item_code].items(), key=lambda kv: kv[0].code))))
    comments = [
        AccusingComment(units[unit_id], local_day(at), text)
        for unit_id, at, text in db.session.execute(
            sa.select(Response.unit_id, Response.submitted_at, Response.comment)
            .where(*in_period, Response.comment.is_not(None))
            .order_by(Response.submitted_at.desc()))
        if accuses_staff(text)
    ][:COMMENT_LIMIT]
    return Inspection(period, tuple(items), tuple(comments))
