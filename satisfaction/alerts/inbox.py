"""The alerts as offices work from them: the ones a user may see, their inbox, a unit's
remedy and the alert's history. Only flushes; the request commits."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from satisfaction import clock
from satisfaction.accounts.access import Scope
from satisfaction.clock import utcnow
from satisfaction.db.accounts import AuditEntry
from satisfaction.db.alerts import Alert, AlertRule, AlertState, InboxEntry
from satisfaction.db.catalogue import IndexDefinition
from satisfaction.extensions import db


class AlertCleared(ValueError):
    """A remedy recorded against an alert that has already cleared."""


class PastDue(ValueError):
    """A remedy due on a day that has already passed."""


def visible_alerts(scope: Scope) -> sa.Select:
    """Alerts of the units and indices ``scope`` sees."""
    query = sa.select(Alert).join(AlertRule).where(scope.unit_filter(Alert.unit_id))
    if scope.index_codes is not None:
        query = query.join(IndexDefinition, IndexDefinition.id == AlertRule.index_id).where(
            IndexDefinition.code.in_(sorted(scope.index_codes)))
    return query


def alert_list(scope: Scope, *, cleared_too: bool = False) -> list[Alert]:
    """Escalated alerts first, then the oldest; live ones only unless ``cleared_too``."""
    query = visible_alerts(scope)
    if not cleared_too:
        query = query.where(Alert.state != AlertState.CLEARED.value)
    return list(db.session.scalars(
        query.order_by(Alert.escalated_at.is_(None), Alert.opened_at)))


def find_alert(scope: Scope, alert_id: int) -> Alert | None:
    return db.session.scalar(visible_alerts(scope).where(Alert.id == alert_id))


def mark_read(alert: Alert, user_id: int) -> None:
    """The user opened the alert: its inbox entry, if any, is read."""
    entry = db.session.scalar(sa.select(InboxEntry).where(
        InboxEntry.alert_id == alert.id, InboxEntry.user_id == user_id))
    if entry is not None and entry.read_at is None:
        entry.read_at = utcnow()


def acknowledge(alert: Alert, user_id: int) -> bool:
    """The unit has seen the alert and takes it up; False if it already had."""
    if alert.state == AlertState.CLEARED.value:
        raise AlertCleared()
    if alert.acknowledged_at is not None:
        return False
    alert.acknowledged_at, alert.acknowledged_by_id = utcnow(), user_id
    alert.state = AlertState.ACKNOWLEDGED.value
    db.session.add(AuditEntry(user_id=user_id, action="alerts.acknowledge",
                              subject=str(alert.id)))
    return True


def record_remedy(alert: Alert, *, remedy: str, owner: str, due: date, user_id: int) -> None:
    """The unit's answer to an alert: what was done or will be, by whom, by when (today or
    later). Recording it acknowledges the alert first if nobody had."""
    if alert.state == AlertState.CLEARED.value:
        raise AlertCleared()
    if due < clock.today():
        raise PastDue()
    acknowledge(alert, user_id)
    alert.remedy, alert.remedy_owner, alert.remedy_due = remedy.strip(), owner.strip(), due
    db.session.add(AuditEntry(user_id=user_id, action="alerts.remedy", subject=str(alert.id),
                              details={"remedy": alert.remedy, "owner": alert.remedy_owner,
                                       "due": alert.remedy_due.isoformat()}))


#: The steps of an alert's life as its audit entries name them.
STEPS = ("alerts.open", "alerts.acknowledge", "alerts.remedy", "alerts.escalate",
         "alerts.clear", "alerts.reopen")


def history(alert: Alert) -> list[AuditEntry]:
    """Each step of the alert, oldest first, with its actor (None: the daily check)."""
    return list(db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.subject == str(alert.id), AuditEntry.action.in_(STEPS))
        .order_by(AuditEntry.at, AuditEntry.id)))


def inbox(user_id: int) -> list[InboxEntry]:
    """Unread first, newest first."""
    return list(db.session.scalars(
        sa.select(InboxEntry).where(InboxEntry.user_id == user_id)
        .order_by(InboxEntry.read_at.is_not(None), InboxEntry.created_at.desc())))


def unread_count(user_id: int) -> int:
    """Alerts in the user's inbox not yet opened."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(InboxEntry).where(
        InboxEntry.user_id == user_id, InboxEntry.read_at.is_(None)))
