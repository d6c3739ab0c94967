"""Signing in and out, the password a user must replace, the password reset by e-mail,
and the one gate that guards the whole module."""

from __future__ import annotations

import time

from flask import (
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.exceptions import TooManyRequests

from satisfaction.accounts import auth, resets
from satisfaction.accounts.access import Permission, scope_for
from satisfaction.accounts.users import find_user
from satisfaction.alerts.inbox import unread_count
from satisfaction.db.accounts import AuditEntry
from satisfaction.extensions import db
from satisfaction.mail import send_mail
from satisfaction.qrcodes.links import absolute

from .. import bp
from ..forms import EmptyForm, LoginForm, PasswordResetForm, PasswordResetRequestForm

PUBLIC_ENDPOINTS = {"admin.login", "admin.forgot_password", "admin.reset_password"}
#: POST endpoints any signed-in user may use (they change only their own account).
OWN_ACCOUNT_ENDPOINTS = {"admin.login", "admin.logout", "admin.change_password",
                         "admin.issue_own_token", "admin.revoke_own_token"}
#: What a user who must replace their password may still open.
PASSWORD_CHANGE_ENDPOINTS = {"admin.account", "admin.change_password", "admin.logout"}
#: ``seen_at`` is rewritten at most this often (seconds): the cookie need not change on
#: every request for the idle timeout to hold to the minute.
SEEN_RESOLUTION = 30

PASSWORD_PROBLEMS = {
    "too_short": lambda: _("The new password must have at least %(n)s characters.",
                           n=auth.MIN_PASSWORD_LENGTH),
    "is_email": lambda: _("The new password cannot be your e-mail address."),
    "unchanged": lambda: _("The new password must differ from the current one."),
}


def start_session(user) -> None:
    """Sign ``user`` in on a fresh session (the language chosen before is kept)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user)
    now = time.time()
    session["signed_in_at"] = session["seen_at"] = now
    session.permanent = False


def _current_session_user():
    """The signed-in account, or None once the session is too old or idle too long."""
    if not current_user.is_authenticated:
        return None
    now = time.time()
    if auth.session_expired(session.get("signed_in_at"), session.get("seen_at"), now):
        logout_user()
        session.clear()
        flash(_("Your session has ended. Please sign in again."), "info")
        return None
    if now - session["seen_at"] >= SEEN_RESOLUTION:
        session["seen_at"] = now
    return current_user._get_current_object()


@bp.before_request
def require_sign_in():
    """The one gate of the module: signed in, a printed password replaced, and read-only
    users never change data."""
    g.locale = str(get_locale() or "vi")
    g.user = _current_session_user()
    if g.user is None:
        if request.endpoint not in PUBLIC_ENDPOINTS:
            return redirect(url_for("admin.login", next=request.path))
        return None
    g.scope = scope_for(g.user)
    if g.user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        return redirect(url_for("admin.account"))
    if (request.method not in ("GET", "HEAD")
            and request.endpoint not in OWN_ACCOUNT_ENDPOINTS | PUBLIC_ENDPOINTS):
        g.scope.require(Permission.WRITE)
    return None


@bp.context_processor
def admin_helpers():
    if not g.get("user"):
        return {}
    return {"logout_form": EmptyForm(), "unread": unread_count(g.user.id)}


def _safe_next(target: str) -> str:
    if not target.startswith("/admin/") or target.startswith("//"):
        return url_for("admin.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if g.get("user") is not None and request.method == "GET":
        return redirect(url_for("admin.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        attempt, wait = auth.begin_attempt(form.email.data, request.remote_addr)
        if attempt is None:
            raise TooManyRequests(retry_after=wait)
        user = auth.authenticate(form.email.data, form.password.data)
        auth.end_attempt(attempt, succeeded=user is not None)
        if user is not None:
            start_session(user)
            if user.must_change_password:
                flash(_("This password was given to you by someone else: please choose your "
                        "own before you go on."), "info")
                return redirect(url_for("admin.account"), code=303)
            return redirect(_safe_next(request.args.get("next", "")), code=303)
        flash(_("The e-mail or password is not correct."), "error")
        status = 401
    elif request.method == "POST":
        status = 422
    return render_template("admin/login.html", form=form), status


@bp.post("/logout")
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        # Signing out ends the account's sessions everywhere: a copied or saved cookie
        # is worth nothing afterwards.
        if g.get("user") is not None:
            auth.end_sessions(g.user)
        logout_user()
        session.clear()
    return redirect(url_for("admin.login"), code=303)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset link. The answer is the same whether the address has an account or
    not; requests are throttled like sign-ins, so the form cannot flood a mailbox."""
    form = PasswordResetRequestForm()
    if form.validate_on_submit():
        attempt, wait = auth.begin_attempt("reset:" + form.email.data, request.remote_addr)
        if attempt is None:
            raise TooManyRequests(retry_after=wait)
        user = find_user(form.email.data)
        if user is not None and user.is_active:
            link = absolute(url_for("admin.reset_password", token=resets.reset_token(user)))
            minutes = current_app.config["PASSWORD_RESET_SECONDS"] // 60
            body = render_template("admin/email/password_reset.txt", user=user, link=link,
                                   minutes=minutes)
            try:
                send_mail(user.email, _("Resetting your password"), body,
                          idstring=f"password-reset-{user.id}")
            except Exception:  # noqa: BLE001 — the visitor must not learn the address exists
                current_app.logger.exception("password reset e-mail not sent")
            db.session.add(AuditEntry(action="users.reset_requested", subject=user.email))
        flash(_("If this address belongs to an account, a link to choose a new password has "
                "been sent to it. The link works once, within one hour."), "info")
        return redirect(url_for("admin.login"), code=303)
    return render_template("admin/forgot_password.html", form=form), (
        422 if request.method == "POST" else 200)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = resets.user_for_reset(token)
    if user is None:
        flash(_("This link is no longer valid: it has been used, or it is more than an hour "
                "old. Please ask for a new one."), "error")
        return render_template("admin/forgot_password.html",
                               form=PasswordResetRequestForm()), 410
    form = PasswordResetForm()
    status = 200
    if form.validate_on_submit():
        problem = auth.password_problem(user, form.new_password.data)
        if problem is None:
            auth.set_password(user, form.new_password.data)
            db.session.add(AuditEntry(action="users.reset", subject=user.email,
                                      user_id=user.id))
            flash(_("Your new password is set. Please sign in with it."), "info")
            return redirect(url_for("admin.login"), code=303)
        form.new_password.errors.append(PASSWORD_PROBLEMS[problem]())
    if request.method == "POST":
        status = 422
    return render_template("admin/reset_password.html", form=form, user=user), status
