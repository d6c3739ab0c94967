"""Signing in and out, and the one gate that guards the whole module."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.exceptions import TooManyRequests

from satisfaction.accounts import auth
from satisfaction.accounts.access import Permission, scope_for
from satisfaction.alerts.inbox import unread_count

from .. import bp
from ..forms import EmptyForm, LoginForm

PUBLIC_ENDPOINTS = {"admin.login"}
#: POST endpoints any signed-in user may use (they change only their own session).
SESSION_ENDPOINTS = {"admin.login", "admin.logout"}


@bp.before_request
def require_sign_in():
    """The one gate of the module: signed in, and read-only users never change data."""
    g.locale = str(get_locale() or "vi")
    g.user = auth.active_user(session.get("user"))
    if g.user is None:
        if request.endpoint not in PUBLIC_ENDPOINTS:
            return redirect(url_for("admin.login", next=request.path))
        return None
    g.scope = scope_for(g.user)
    if request.method not in ("GET", "HEAD") and request.endpoint not in SESSION_ENDPOINTS:
        g.scope.require(Permission.WRITE)
    return None


@bp.context_processor
def admin_helpers():
    if not g.get("user"):
        return {}
    return {"logout_form": EmptyForm(), "unread": unread_count(g.user.id)}


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        attempt, wait = auth.begin_attempt(form.email.data, request.remote_addr)
        if attempt is None:
            raise TooManyRequests(retry_after=wait)
        user = auth.authenticate(form.email.data, form.password.data)
        auth.end_attempt(attempt, succeeded=user is not None)
        if user is not None:
            session.clear()
            session["user"] = auth.session_key(user)
            session.permanent = False
            target = request.args.get("next", "")
            if not target.startswith("/admin/") or target.startswith("//"):
                target = url_for("admin.index")
            return redirect(target, code=303)
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
        user = auth.active_user(session.get("user"))
        if user is not None:
            auth.end_sessions(user)
        session.clear()
    return redirect(url_for("admin.login"), code=303)
