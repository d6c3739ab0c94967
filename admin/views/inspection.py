"""The inspector's page: answers and comments that accuse staff, which the head of the unit
concerned does not see. Every reading is in the audit log."""

from __future__ import annotations

from flask import g, render_template

from satisfaction.accounts.access import Permission
from satisfaction.db.accounts import AuditEntry
from satisfaction.extensions import db
from satisfaction.reporting.inspection import staff_accusations

from .. import bp
from .reports import period_from_request


@bp.get("/inspection")
def inspection():
    g.scope.require(Permission.INSPECT)
    period = period_from_request()
    found = staff_accusations(g.scope, period)
    db.session.add(AuditEntry(action="inspection.read", user_id=g.user.id,
                              subject=period.label,
                              details={"comments": len(found.comments)}))
    return render_template("admin/inspection.html", inspection=found, locale=g.locale)
