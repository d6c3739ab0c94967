"""Staff accounts, for administrators: who has access, in which role; disable, enable,
change a role, give a new password (shown once, to be replaced at the next sign-in)."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from satisfaction.accounts.access import Permission
from satisfaction.accounts.users import UserError, list_users, new_password, set_active, set_role
from satisfaction.db.accounts import Role, User
from satisfaction.extensions import db

from .. import bp
from ..forms import EmptyForm, RoleForm, options

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.REVIEWER: _l("Reviewing office"),
    Role.INDEX_OWNER: _l("Index owner office"),
    Role.UNIT_MANAGER: _l("Unit manager"),
    Role.OBSERVER: _l("Observer (Fatherland Front)"),
    Role.INSPECTOR: _l("Inspector"),
}


def _role_form(user: User | None = None) -> RoleForm:
    form = RoleForm(data={"role": user.role, "unit": user.unit.code if user.unit else ""}
                    if user is not None else None)
    form.role.choices = options([(role.value, ROLE_LABELS[role]) for role in Role])
    return form


def _account(user_id: int) -> User:
    g.scope.require(Permission.MANAGE_USERS)
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _page(given_password: tuple[str, str] | None = None, errors: dict | None = None,
          status: int = 200):
    g.scope.require(Permission.MANAGE_USERS)
    accounts = list_users()
    return render_template(
        "admin/users.html", accounts=accounts, role_forms={u.id: _role_form(u) for u in accounts},
        button_form=EmptyForm(), roles=ROLE_LABELS, given_password=given_password,
        errors=errors or {},
    ), status


@bp.get("/users")
def users():
    return _page()


def _done(message: str):
    flash(message, "info")
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<int:user_id>/disable")
def disable_user(user_id: int):
    user = _account(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        set_active(user, False, actor_id=g.user.id)
    except UserError:
        return _page(errors={user.id: _("You cannot disable your own account.")}, status=422)
    return _done(_("%(email)s is disabled: its sessions and API tokens have stopped.",
                   email=user.email))


@bp.post("/users/<int:user_id>/enable")
def enable_user(user_id: int):
    user = _account(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    set_active(user, True, actor_id=g.user.id)
    return _done(_("%(email)s is enabled.", email=user.email))


@bp.post("/users/<int:user_id>/role")
def change_role(user_id: int):
    user = _account(user_id)
    form = _role_form()
    if not form.validate_on_submit():
        return _page(errors={user.id: _("Please choose a role.")}, status=422)
    try:
        set_role(user, form.role.data, (form.unit.data or "").strip() or None,
                 actor_id=g.user.id)
    except UserError as exc:
        return _page(errors={user.id: _role_error(str(exc))}, status=422)
    return _done(_("%(email)s now has the role %(role)s; its open sessions have ended.",
                   email=user.email, role=ROLE_LABELS[form.role.data]))


def _role_error(message: str) -> str:
    if message.startswith("unknown unit"):
        return _("There is no unit with this code.")
    if message.startswith("--unit is required"):
        return _("This role needs a unit: enter its code.")
    return _("You cannot change your own role.")


@bp.post("/users/<int:user_id>/password")
def give_password(user_id: int):
    user = _account(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    password = new_password(user, actor_id=g.user.id)
    return _page(given_password=(user.email, password))
