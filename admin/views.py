"""Routes of the offices' module. One check guards the whole blueprint."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from satisfaction.links import survey_url

from . import bp, services
from .forms import EmptyForm, LoginForm

PUBLIC_ENDPOINTS = {"admin.login"}


@bp.before_request
def require_sign_in():
    g.user = services.active_user(session.get("user_id"))
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        return redirect(url_for("admin.login", next=request.path))
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            session.clear()
            session["user_id"] = user.id
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
        session.pop("user_id", None)
    return redirect(url_for("admin.login"), code=303)


@bp.get("/")
def index():
    units = services.unit_tree()
    codes = {
        token.id: Markup(services.qr_svg(survey_url(token.token)))
        for unit in units
        for counter in unit.counters
        for token in counter.qr_tokens
        if token.is_active
    }
    return render_template(
        "admin/index.html", units=units, qr_svgs=codes, survey_url=survey_url,
        activity=services.counter_activity(), logout_form=EmptyForm(),
    )
