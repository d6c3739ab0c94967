"""The review list of quarantined responses: release into the indices or reject, with a
reason that the audit log keeps."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from satisfaction.accounts.access import Permission
from satisfaction.intake import quarantine
from satisfaction.intake.integrity import flag_labels

from .. import bp
from ..forms import RESPONSE_CHANNEL_LABELS, ReviewForm

REVIEW_MESSAGES = {
    "reason_required": _l("Please give a reason for the decision."),
    "reason_too_long": _l("The reason is too long (at most 1,000 characters)."),
    "already_reviewed": _l("Someone has already decided on this response."),
    "unknown_decision": _l("Unknown decision."),
}


@bp.route("/quarantine", methods=["GET", "POST"])
def quarantined():
    g.scope.require(Permission.REVIEW_QUARANTINE)
    if request.method == "POST":
        g.scope.require(Permission.WRITE)
        form = ReviewForm()
        response_id = request.args.get("response", type=int)
        if response_id is None:
            abort(400)
        if not 0 < response_id < 2**31:  # PostgreSQL's integer: larger ids cannot exist
            abort(404)
        if not form.validate_on_submit():
            flash(_("Please give a reason for the decision."), "error")
            return _page(), 422
        try:
            outcome = quarantine.review(
                response_id, form.decision.data, form.reason.data,
                scope=g.scope, user_id=g.user.id,
            )
        except LookupError:
            abort(404)
        except quarantine.ReviewError as exc:
            flash(str(REVIEW_MESSAGES.get(str(exc), exc)), "error")
            return _page(), 409
        if outcome.status == "accepted":
            flash(_("Response %(id)s was released: it now counts in the indices.",
                    id=response_id), "info")
        else:
            flash(_("Response %(id)s was rejected: it is kept but never counted.",
                    id=response_id), "info")
        return redirect(url_for(".quarantined"), code=303)
    return _page()


def _page():
    rows = quarantine.quarantined(g.scope)
    return render_template(
        "admin/quarantine.html", channels=RESPONSE_CHANNEL_LABELS, rows=rows,
        total=quarantine.quarantined_count(g.scope),
        form=ReviewForm(formdata=None), flag_labels=flag_labels,
    )
