"""The signed-in user's own account: their password and their API tokens."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from satisfaction.accounts import auth, tokens
from satisfaction.db.accounts import ApiToken, AuditEntry
from satisfaction.extensions import db

from .. import bp
from ..forms import EmptyForm, PasswordChangeForm, TokenForm
from .auth import PASSWORD_PROBLEMS, start_session


def _page(password_form=None, token_form=None, new_token: str | None = None, status=200):
    return render_template(
        "admin/account.html", password_form=password_form or PasswordChangeForm(),
        token_form=token_form or TokenForm(), revoke_form=EmptyForm(),
        tokens=tokens.tokens_of(g.user), token_state=tokens.token_state, new_token=new_token,
    ), status


@bp.get("/account")
def account():
    return _page()


@bp.post("/account/password")
def change_password():
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return _page(password_form=form, status=422)
    user = g.user
    if not auth.check_password(user, form.current_password.data):
        form.current_password.errors.append(_("The current password is not correct."))
        return _page(password_form=form, status=422)
    problem = auth.password_problem(user, form.new_password.data)
    if problem is not None:
        form.new_password.errors.append(PASSWORD_PROBLEMS[problem]())
        return _page(password_form=form, status=422)
    auth.set_password(user, form.new_password.data)
    db.session.add(AuditEntry(action="users.password_changed", subject=user.email,
                              user_id=user.id))
    # Every other session has ended; this one goes on under the new session version.
    start_session(user)
    flash(_("Your password has been changed. Your other sessions and your API tokens have "
            "ended."), "info")
    return redirect(url_for("admin.account"), code=303)


@bp.post("/account/tokens")
def issue_own_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(token_form=form, status=422)
    row, token = tokens.issue_token(g.user, form.days.data, form.label.data)
    db.session.add(AuditEntry(action="users.token", subject=g.user.email, user_id=g.user.id,
                              details={"token": row.id, "days": form.days.data}))
    flash(_("Copy the token now: it will not be shown again."), "info")
    return _page(new_token=token)


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke_own_token(token_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != g.user.id:
        abort(404)
    if tokens.revoke([row]):
        db.session.add(AuditEntry(action="users.revoke_token", subject=g.user.email,
                                  user_id=g.user.id, details={"token": row.id}))
    flash(_("The token has been revoked: it stops working at once."), "info")
    return redirect(url_for("admin.account"), code=303)
