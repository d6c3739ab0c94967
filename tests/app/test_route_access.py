"""Every route × every kind of visitor, for GET and for POST: who gets in, who is sent to
sign in, who is refused (403) and who is told the thing does not exist (404).

The table ``ACCESS`` below is the whole access policy of the app, written out: one entry
per endpoint of ``app.url_map`` (``static`` aside), and for each method the outcome for
each actor. A new route without an entry fails ``test_every_route_has_an_entry``; an entry
that the app no longer honours fails its ``test_access`` case.

Every URL is filled with real ids of things the refused actors must not reach: the ward
Q1-TD (the unit manager signs in for Q1-BN), the index SIPAS (the index owner is the
economy office Q1-KT, which owns only BSI), an alert, a rule, a QR code, a quarantined
answer of Q1-TD under SIPAS, another user's account and API token. The unit manager of
Q1-TD (``other_manager``) is the control: the same URLs open for the unit they belong to.

Every POST carries the actor's real CSRF token, so that what is checked is the
permission; where an allowed POST would change something another case relies on, its
form is deliberately incomplete (422: the gate let it through, the form did not). A
refused POST must change nothing: the rows that matter are compared before and after.

One seeded world is shared by all cases (module scope); the few cases that do change it
put it back (``UNDO``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from factories import api_token, gen_response, gen_user, sign_in
from helpers import filled_survey, read_form
from snapshot import Snapshot, empty_tables, reset_between_tests

from satisfaction import clock
from satisfaction.accounts import resets
from satisfaction.alerts.rules import add_rule
from satisfaction.clock import utcnow
from satisfaction.db.accounts import ApiToken, User
from satisfaction.db.alerts import Alert, AlertRule
from satisfaction.db.catalogue import IndexDefinition, Questionnaire
from satisfaction.db.codes import Channel, QrToken
from satisfaction.db.responses import Response, ResponseStatus
from satisfaction.db.units import Counter, Unit
from satisfaction.demo.district import seed_district1
from satisfaction.extensions import db
from satisfaction.qrcodes.codes import issue_code

# --- The actors -------------------------------------------------------------------------

#: Signed in, each with a role (and a valid API token for /api).
ROLES = ("admin", "reviewer", "index_owner", "unit_manager", "observer", "inspector",
         "other_manager")
#: Nobody signed in: no session; an administrator whose account was disabled after signing
#: in (a stale cookie and a token); a session-less caller with an administrator's revoked
#: API token.
SIGNED_OUT = ("anonymous", "disabled", "revoked_token")
ACTORS = ("anonymous", *ROLES, "disabled", "revoked_token")

#: (e-mail, role, unit) of each account the world holds.
ACCOUNTS = {
    "admin": ("admin@routes.example.vn", "admin", None),
    "reviewer": ("reviewer@routes.example.vn", "reviewer", None),
    # The economy office owns BSI only (satisfaction/data/indices.json), not SIPAS.
    "index_owner": ("owner-kt@routes.example.vn", "index_owner", "Q1-KT"),
    "unit_manager": ("bn@routes.example.vn", "unit_manager", "Q1-BN"),
    "observer": ("observer@routes.example.vn", "observer", None),
    "inspector": ("inspector@routes.example.vn", "inspector", None),
    "other_manager": ("td@routes.example.vn", "unit_manager", "Q1-TD"),
    "disabled": ("disabled@routes.example.vn", "admin", None),
    "revoked_token": ("revoked@routes.example.vn", "admin", None),
    # Not actors: the account the /admin/users POSTs act on (its token is the "foreign"
    # token), and the account of the password-reset link.
    "victim": ("victim@routes.example.vn", "unit_manager", "Q1-TD"),
    "resetting": ("reset@routes.example.vn", "reviewer", None),
}

FOREIGN_UNIT = "Q1-TD"
FOREIGN_INDEX = "sipas"
OWN_INDEX = "bsi"  # of the index owner

# --- Outcomes ---------------------------------------------------------------------------

OK = 200
SEE_OTHER = 303
UNAUTHORIZED = 401
FORBIDDEN = 403
NOT_FOUND = 404
NO_METHOD = 405
INVALID = 422  # through the gate; the (deliberately incomplete) form was refused


@dataclass(frozen=True)
class Redirect:
    status: int
    #: The start of the Location header.
    to: str

    def __repr__(self) -> str:
        return f"{self.status}→{self.to}"


LOGIN = Redirect(302, "/admin/login?next=")
Outcome = int | Redirect


def staff(admin, reviewer, index_owner, unit_manager, observer, inspector, other_manager,
          signed_out: Outcome = LOGIN) -> dict[str, Outcome]:
    """An admin page: each role's outcome in the order of ``ROLES``; signed-out actors
    are sent to sign in."""
    return {**dict.fromkeys(SIGNED_OUT, signed_out), "admin": admin, "reviewer": reviewer,
            "index_owner": index_owner, "unit_manager": unit_manager, "observer": observer,
            "inspector": inspector, "other_manager": other_manager}


def every_role(outcome: Outcome, signed_out: Outcome = LOGIN) -> dict[str, Outcome]:
    return staff(*[outcome] * len(ROLES), signed_out=signed_out)


def everyone(outcome: Outcome) -> dict[str, Outcome]:
    return dict.fromkeys(ACTORS, outcome)


def api(admin, reviewer, index_owner, unit_manager, observer, inspector, other_manager):
    """An API route: a valid bearer token per role; no token, a disabled account's token
    and a revoked token are all 401."""
    return staff(admin, reviewer, index_owner, unit_manager, observer, inspector,
                 other_manager, signed_out=UNAUTHORIZED)


ADMIN_ONLY = staff(OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)
#: GET-only or POST-only: the other method is 405 whoever asks.
NOT_ALLOWED = everyone(NO_METHOD)

GET, POST = "GET", "POST"

# --- The access table -------------------------------------------------------------------
#
# Column order of staff()/api():
#   admin, reviewer, index_owner (Q1-KT: BSI only), unit_manager (Q1-BN), observer,
#   inspector, other_manager (Q1-TD: the foreign unit's own manager, the control).
#
# Why, in short:
# - the gate (admin/views/auth.py): every admin page needs sign-in but login, forgot and
#   reset; a POST needs WRITE (observer, inspector: none) except the own-account ones;
# - a unit the user does not see is 404 (its existence is not revealed); an index the
#   user does not see is 403 (reports) or 404 (an alert, a rule: filtered lists);
# - QR codes: everyone signed in prints the posters of the units they see; only the
#   administrator (MANAGE_CODES) issues, relabels, rotates, revokes, sets dossier modes;
# - rules: MANAGE_RULES (admin, index owner for its own indices);
# - quarantine: REVIEW_QUARANTINE (admin, reviewer, index owner for its own indices);
# - per-response export: READ_RESPONSES (admin and reviewer only);
# - users: MANAGE_USERS (admin only); units import: MANAGE_UNITS (admin only).

ACCESS: dict[str, dict[str, dict[str, Outcome]]] = {
    # Own account: every signed-in active user.
    "admin.account": {GET: every_role(OK), POST: NOT_ALLOWED},
    "admin.change_password": {GET: NOT_ALLOWED, POST: every_role(INVALID)},
    "admin.issue_own_token": {GET: NOT_ALLOWED, POST: every_role(OK)},
    # Another user's token: no one may revoke it from their own page.
    "admin.revoke_own_token": {GET: NOT_ALLOWED, POST: every_role(NOT_FOUND)},
    "admin.logout": {GET: NOT_ALLOWED,
                     POST: every_role(Redirect(303, "/admin/login"))},
    # Public pages of the module.
    "admin.login": {GET: {**every_role(Redirect(302, "/admin/")),
                          **dict.fromkeys(SIGNED_OUT, OK)},
                    POST: everyone(INVALID)},
    "admin.forgot_password": {GET: everyone(OK), POST: everyone(INVALID)},
    "admin.reset_password": {GET: everyone(OK), POST: everyone(INVALID)},
    # Home: the administrator's overview; everyone else goes to the reports.
    "admin.index": {GET: staff(OK, *[Redirect(302, "/admin/reports/")] * 6),
                    POST: NOT_ALLOWED},
    # Reports of the foreign unit under the foreign index.
    "admin.reports_home": {
        GET: staff(Redirect(302, "/admin/reports/sipas/"),
                   Redirect(302, "/admin/reports/sipas/"),
                   Redirect(302, f"/admin/reports/{OWN_INDEX}/"),
                   Redirect(302, "/admin/reports/sipas/Q1-BN"),
                   Redirect(302, "/admin/reports/sipas/"),
                   Redirect(302, "/admin/reports/sipas/"),
                   Redirect(302, "/admin/reports/sipas/Q1-TD")),
        POST: NOT_ALLOWED},
    "admin.report_redirect": {
        GET: every_role(Redirect(302, f"/admin/reports/{FOREIGN_INDEX}/{FOREIGN_UNIT}")),
        POST: NOT_ALLOWED},
    "admin.report": {GET: staff(OK, OK, FORBIDDEN, NOT_FOUND, OK, OK, OK),
                     POST: NOT_ALLOWED},
    "admin.report_csv": {GET: staff(OK, OK, FORBIDDEN, NOT_FOUND, OK, OK, OK),
                         POST: NOT_ALLOWED},
    "admin.report_xlsx": {GET: staff(OK, OK, FORBIDDEN, NOT_FOUND, OK, OK, OK),
                          POST: NOT_ALLOWED},
    # One row per response: the reviewing office and administrators only.
    "admin.responses_csv": {
        GET: staff(OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
        POST: NOT_ALLOWED},
    # The answers that accuse staff: INSPECT, the inspector's alone (not the administrator's).
    "admin.inspection": {GET: staff(FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK,
                                    FORBIDDEN),
                         POST: NOT_ALLOWED},
    # Alerts: a list filtered by scope; one alert of Q1-TD under SIPAS.
    "admin.alerts": {GET: every_role(OK), POST: NOT_ALLOWED},
    "admin.inbox": {GET: every_role(OK), POST: NOT_ALLOWED},
    "admin.alert": {GET: staff(OK, OK, NOT_FOUND, NOT_FOUND, OK, OK, OK),
                    POST: staff(INVALID, INVALID, NOT_FOUND, NOT_FOUND, FORBIDDEN, FORBIDDEN,
                                INVALID)},
    # The alerts check on demand: RUN_CHECKS, the administrator's only (UNDO puts back
    # what it opened, cleared or queued).
    "admin.run_check": {GET: NOT_ALLOWED, POST: staff(SEE_OTHER, *[FORBIDDEN] * 6)},
    "admin.acknowledge_alert": {
        GET: NOT_ALLOWED,
        POST: staff(SEE_OTHER, SEE_OTHER, NOT_FOUND, NOT_FOUND, FORBIDDEN, FORBIDDEN,
                    SEE_OTHER)},
    # Rules: everyone reads those of the indices they see; MANAGE_RULES changes them.
    "admin.rules": {GET: every_role(OK),
                    POST: staff(INVALID, FORBIDDEN, INVALID, FORBIDDEN, FORBIDDEN, FORBIDDEN,
                                FORBIDDEN)},
    # A SIPAS rule: not the index owner's.
    "admin.remove_rule": {
        GET: NOT_ALLOWED,
        POST: staff(SEE_OTHER, FORBIDDEN, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN,
                    FORBIDDEN)},
    # SIPAS's rule for commendation candidates: not the index owner's.
    "admin.commendation": {
        GET: NOT_ALLOWED,
        POST: staff(SEE_OTHER, FORBIDDEN, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN,
                    FORBIDDEN)},
    # Quarantine: a quarantined SIPAS answer of Q1-TD (POST rejects it, UNDO puts it back).
    "admin.quarantined": {
        GET: staff(OK, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
        POST: staff(SEE_OTHER, SEE_OTHER, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN,
                    FORBIDDEN)},
    # Imports: WRITE for paper forms and dossier lists, MANAGE_UNITS for the unit list.
    "admin.import_responses": {
        GET: staff(OK, OK, OK, OK, FORBIDDEN, FORBIDDEN, OK),
        POST: staff(INVALID, INVALID, INVALID, INVALID, FORBIDDEN, FORBIDDEN, INVALID)},
    "admin.import_dossiers": {
        GET: staff(OK, OK, OK, OK, FORBIDDEN, FORBIDDEN, OK),
        POST: staff(INVALID, INVALID, INVALID, INVALID, FORBIDDEN, FORBIDDEN, INVALID)},
    "admin.import_units": {
        GET: ADMIN_ONLY,
        POST: staff(INVALID, *[FORBIDDEN] * 6)},
    # QR codes of Q1-TD: seen and printed by all who see the unit; changed by the admin.
    "admin.qrcodes": {GET: every_role(OK), POST: NOT_ALLOWED},
    "admin.qrcodes_unit": {GET: staff(OK, OK, OK, NOT_FOUND, OK, OK, OK), POST: NOT_ALLOWED},
    "admin.poster": {GET: staff(OK, OK, OK, NOT_FOUND, OK, OK, OK), POST: NOT_ALLOWED},
    "admin.unit_posters": {GET: staff(OK, OK, OK, NOT_FOUND, OK, OK, OK),
                           POST: NOT_ALLOWED},
    # Each user's own units' posters (the unit manager's: Q1-BN's).
    "admin.all_posters": {GET: every_role(OK), POST: NOT_ALLOWED},
    "admin.issue": {
        GET: NOT_ALLOWED,
        POST: staff(INVALID, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN, FORBIDDEN,
                    FORBIDDEN)},
    "admin.dossier_mode": {
        GET: NOT_ALLOWED,
        POST: staff(INVALID, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN, FORBIDDEN,
                    FORBIDDEN)},
    "admin.relabel": {
        GET: NOT_ALLOWED,
        POST: staff(INVALID, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN, FORBIDDEN,
                    FORBIDDEN)},
    "admin.rotate": {
        GET: NOT_ALLOWED,
        POST: staff(INVALID, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN, FORBIDDEN,
                    FORBIDDEN)},
    "admin.revoke": {
        GET: staff(OK, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN),
        POST: staff(INVALID, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN, FORBIDDEN,
                    FORBIDDEN)},
    # Staff accounts: administrators only (the victim account is acted on).
    "admin.users": {GET: ADMIN_ONLY, POST: NOT_ALLOWED},
    "admin.disable_user": {GET: NOT_ALLOWED, POST: staff(SEE_OTHER, *[FORBIDDEN] * 6)},
    "admin.enable_user": {GET: NOT_ALLOWED, POST: staff(SEE_OTHER, *[FORBIDDEN] * 6)},
    "admin.give_password": {GET: NOT_ALLOWED, POST: ADMIN_ONLY},
    "admin.change_role": {GET: NOT_ALLOWED, POST: staff(INVALID, *[FORBIDDEN] * 6)},
    # The API: bearer tokens only; the same scope as the pages.
    "api.openapi": {GET: everyone(OK), POST: NOT_ALLOWED},
    "api.indices": {GET: api(*[OK] * 7), POST: NOT_ALLOWED},
    "api.units": {GET: api(*[OK] * 7), POST: NOT_ALLOWED},
    "api.questionnaires": {GET: api(*[OK] * 7), POST: NOT_ALLOWED},
    "api.indicators": {GET: api(OK, OK, FORBIDDEN, NOT_FOUND, OK, OK, OK), POST: NOT_ALLOWED},
    # Public pages: the same for everyone.
    "core.home": {GET: everyone(OK), POST: NOT_ALLOWED},
    "core.healthz": {GET: everyone(OK), POST: NOT_ALLOWED},
    "core.ping": {GET: everyone(OK), POST: NOT_ALLOWED},
    "core.set_language": {GET: everyone(Redirect(303, "/")), POST: NOT_ALLOWED},
    "core.text_size": {GET: everyone(Redirect(303, "/")), POST: NOT_ALLOWED},
    "core.favicon": {GET: everyone(OK), POST: NOT_ALLOWED},
    "survey.questionnaire": {GET: everyone(OK), POST: everyone(INVALID)},
    "survey.thanks": {GET: everyone(OK), POST: NOT_ALLOWED},
    "survey.kiosk": {GET: everyone(OK), POST: everyone(INVALID)},
    "survey.kiosk_thanks": {GET: everyone(OK), POST: NOT_ALLOWED},
    "survey.short_code": {GET: everyone(Redirect(302, "/s/")), POST: NOT_ALLOWED},
}

#: Query strings: posters as SVG (the cheapest to render), reports for a whole past year
#: (so that no figure is withheld by the disclosure rule, which is not what is tested
#: here), the foreign unit and index where the route reads them.
_LAST_YEAR = str(clock.today().year - 1)
QUERY: dict[str, dict[str, str]] = {
    "admin.poster": {"format": "svg", "size": "A4"},
    "admin.unit_posters": {"format": "svg", "size": "A4"},
    "admin.all_posters": {"format": "svg", "size": "A4"},
    "admin.report": {"period": _LAST_YEAR},
    "admin.report_csv": {"period": _LAST_YEAR},
    "admin.report_xlsx": {"period": _LAST_YEAR},
    "admin.responses_csv": {"period": _LAST_YEAR},
    "admin.inspection": {"period": _LAST_YEAR},
    "admin.report_redirect": {"index": FOREIGN_INDEX, "unit": FOREIGN_UNIT,
                              "period": _LAST_YEAR},
    "api.indicators": {"index": FOREIGN_INDEX, "unit": FOREIGN_UNIT, "period": _LAST_YEAR},
    "core.set_language": {"next": "/"},
    "core.text_size": {"next": "/"},
}

#: Cases that show a bug: (endpoint, method, actor) -> reason. Marked xfail(strict=True).
#: Empty: the two found by this test (the password-reset forms refused to a signed-in
#: observer or inspector) are fixed.
KNOWN_BUGS: dict[tuple[str, str, str], str] = {}

# --- The world --------------------------------------------------------------------------


@dataclass
class Actor:
    name: str
    client: object
    email: str | None = None
    token: str | None = None
    csrf: str = ""


@dataclass
class World:
    app: object
    actors: dict[str, Actor]
    #: URL argument name -> value, for the endpoints' rules.
    args: dict[str, object]
    #: Per endpoint, URL arguments that differ from ``args`` (``token`` means three things).
    endpoint_args: dict[str, dict[str, object]]
    #: Form fields per endpoint (the CSRF token is added per actor).
    forms: dict[str, dict[str, str]]
    ids: dict[str, int] = field(default_factory=dict)


def _one(model, *where):
    return db.session.scalar(sa.select(model).where(*where))


def _csrf(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return read_form(response.get_data(as_text=True)).hidden["csrf_token"]


def _sign_in(actor: Actor) -> None:
    sign_in(actor.client, actor.email)
    actor.csrf = _csrf(actor.client, "/admin/account")


def _seed(app, seeded: dict) -> None:
    """The District 1 demo, as the ``demo`` fixture gives it (and shares with it)."""
    with app.app_context():
        with db.engine.connect() as conn:
            assert all(conn.scalar(sa.select(sa.func.count()).select_from(t)) == 0
                       for t in db.metadata.sorted_tables), "tables not empty"
        if "district1" not in seeded:
            summary = seed_district1()
            db.session.commit()
            with db.engine.connect() as conn:
                seeded["district1"] = (summary, Snapshot.take(conn))
        else:
            with db.engine.begin() as conn:
                seeded["district1"][1].restore(conn)


def _build(app) -> World:
    runner = app.test_cli_runner()
    for email, role, unit in ACCOUNTS.values():
        gen_user(app, email, role, unit)
    tokens = {name: api_token(runner, email) for name, (email, _r, _u) in ACCOUNTS.items()}
    ids: dict[str, int] = {}
    with app.app_context():
        td = _one(Unit, Unit.code == FOREIGN_UNIT)
        counter = _one(Counter, Counter.unit_id == td.id, Counter.code == "MC1")
        code = _one(QrToken, QrToken.counter_id == counter.id, QrToken.channel == "qr")
        # Posters are slow to draw: only Q1-BN's and Q1-TD's codes stay printable.
        kept = {td.id, _one(Unit, Unit.code == "Q1-BN").id}
        db.session.execute(
            sa.update(QrToken).where(QrToken.counter_id.in_(
                sa.select(Counter.id).where(Counter.unit_id.not_in(sorted(kept)))))
            .values(revoked_at=utcnow()))
        kiosk = issue_code(counter, _one(Questionnaire, Questionnaire.code == "sipas-2640"),
                           channel=Channel.KIOSK.value)
        sipas_rule = _one(AlertRule, AlertRule.questionnaire_code == "sipas-2640")
        today = clock.today()
        alert = Alert(rule_id=sipas_rule.id, unit_id=td.id, measure="", findings=[],
                      window_start=today - timedelta(days=30), window_end=today,
                      value=70.0, low=60.0, high=80.0, n=40, p_value=0.001, adjusted_p=0.001,
                      target=90.0)
        db.session.add(alert)
        removable = add_rule(index_code=FOREIGN_INDEX, questionnaire="sipas-2640", target=85,
                             window="30d", min_n=30, false_flag_rate=0.05)
        quarantined = gen_response(FOREIGN_UNIT, today - timedelta(days=2),
                                   status=ResponseStatus.QUARANTINED.value)
        db.session.flush()
        victim = _one(User, User.email == ACCOUNTS["victim"][0])
        resetting = _one(User, User.email == ACCOUNTS["resetting"][0])
        ids = {
            "code_id": code.id, "alert_id": alert.id, "rule_id": removable.id,
            "user_id": victim.id,
            "token_id": _one(ApiToken, ApiToken.user_id == victim.id).id,
            "counter_id": counter.id, "response_id": quarantined.id,
        }
        args = {
            "unit_code": FOREIGN_UNIT, "index_code": FOREIGN_INDEX, "counter_code": "MC1",
            **{k: ids[k] for k in ("code_id", "alert_id", "rule_id", "user_id", "token_id")},
            # Not a URL argument: what the unit manager of Q1-BN must never be shown.
            "survey_token": code.token,
        }
        endpoint_args = {
            "admin.reset_password": {"token": resets.reset_token(resetting)},
            "survey.questionnaire": {"token": code.token},
            "survey.thanks": {"token": code.token},
            "survey.kiosk": {"token": kiosk.token},
            "survey.kiosk_thanks": {"token": kiosk.token},
            "survey.short_code": {"code": code.short_code},
            "core.set_language": {"code": "en"},
            "core.text_size": {"size": "large"},
        }
        commendation = _one(IndexDefinition, IndexDefinition.code == FOREIGN_INDEX)
        forms = {
            "admin.issue_own_token": {"label": "route walk", "days": "90"},
            "admin.commendation": {"index": FOREIGN_INDEX,
                                   "rule": commendation.commendation_rule},
            "admin.quarantined": {"decision": "reject", "reason": "route walk"},
            # Incomplete on purpose (422 for whoever gets through): a label too long, no
            # grace period, no confirmation, no questionnaire, no dossier mode.
            "admin.relabel": {f"label{code.id}-label": "x" * 201},
            "admin.rotate": {f"rotate{code.id}-grace_days": ""},
            "admin.revoke": {},
            "admin.issue": {f"issue{counter.id}-questionnaire": ""},
            "admin.dossier_mode": {f"dossier{counter.id}-mode": ""},
        }
        db.session.commit()

    actors = {name: Actor(name, app.test_client()) for name in ACTORS}
    for name, actor in actors.items():
        if name in ACCOUNTS:
            actor.email, actor.token = ACCOUNTS[name][0], tokens[name]
        if name in ROLES or name == "disabled":
            _sign_in(actor)
        else:
            actor.csrf = _csrf(actor.client, "/admin/login")
    # The disabled administrator signed in (and got a token) before being disabled; the
    # other administrator's token is revoked.
    for args_ in (["users", "disable", "--email", ACCOUNTS["disabled"][0]],
                  ["users", "revoke-token", "--email", ACCOUNTS["revoked_token"][0], "--all"]):
        result = runner.invoke(args=args_)
        assert result.exit_code == 0, result.output
    return World(app, actors, args, endpoint_args, forms, ids)


@pytest.fixture(scope="module")
def world(app, seeded):
    _seed(app, seeded)
    try:
        yield _build(app)
    finally:
        reset_between_tests(app)  # as ``clean_db`` leaves it for the next test


def _url(world: World, endpoint: str) -> str:
    rule = _rule(world.app, endpoint)
    values = {name: world.endpoint_args.get(endpoint, {}).get(name, world.args.get(name))
              for name in rule.arguments}
    missing = [name for name, value in values.items() if value is None]
    assert not missing, f"no value for {missing} of {endpoint}: add it to the world"
    with world.app.test_request_context():
        from flask import url_for

        path = url_for(endpoint, **values)
    query = dict(QUERY.get(endpoint, {}))
    if endpoint == "admin.quarantined":
        query["response"] = str(world.ids["response_id"])
    return path + ("?" + urlencode(query) if query else "")


def _rule(app, endpoint: str):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]
    assert len(rules) == 1, f"{endpoint} has {len(rules)} rules"
    return rules[0]


# --- What a refused POST must not change -------------------------------------------------

#: Columns a refused request could change (the rest of each table is covered by its count).
_WATCHED = {
    "user_account": ("id", "role", "unit_id", "is_active", "password_hash",
                     "session_version", "must_change_password"),
    "api_token": ("id", "revoked_at", "expires_at", "label"),
    "alert": ("id", "state", "acknowledged_at", "remedy", "remedy_owner", "remedy_due"),
    "alert_rule": ("id", "is_active"),
    "index_definition": ("id", "commendation_rule"),
    "qr_token": ("id", "label", "revoked_at", "replaced_by_id", "expires_at"),
    "counter": ("id", "dossier_mode"),
    "response": ("id", "status", "reviewed_at"),
}


def fingerprint(app) -> str:
    digest = hashlib.sha256()
    with app.app_context(), db.engine.connect() as conn:
        tables = db.metadata.tables
        # Ordered: PostgreSQL may return the parts of a UNION ALL in any order.
        counts = sa.union_all(*(
            sa.select(sa.literal(name).label("t"), sa.func.count().label("n"))
            .select_from(table) for name, table in sorted(tables.items()))).order_by(
                sa.text("t"))
        digest.update(repr(conn.execute(counts).all()).encode())
        for name, columns in _WATCHED.items():
            table = tables[name]
            rows = conn.execute(sa.select(*(table.c[c] for c in columns))
                                .order_by(table.c.id)).all()
            digest.update(repr(rows).encode())
    return digest.hexdigest()


# --- Putting back what an allowed POST changed ------------------------------------------


def _sign_in_again(world: World, actor: Actor) -> None:
    _sign_in(actor)


def _quarantine_again(world: World, actor: Actor) -> None:
    with world.app.app_context():
        db.session.execute(sa.update(Response).where(Response.id == world.ids["response_id"])
                           .values(status=ResponseStatus.QUARANTINED.value, reviewed_at=None,
                                   reviewed_by_id=None, review_reason=None))
        db.session.commit()


def _take(world: World) -> Snapshot:
    with world.app.app_context(), db.engine.connect() as conn:
        return Snapshot.take(conn)


def _put_back(world: World, snapshot: Snapshot) -> None:
    with world.app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            empty_tables(conn)
            snapshot.restore(conn)


UNDO = {"admin.logout": _sign_in_again, "admin.quarantined": _quarantine_again}
#: Allowed POSTs whose effects are too wide to undo one by one: every row is copied
#: before and put back after (the sessions' versions too, so everyone stays signed in).
PUT_BACK = {"admin.run_check"}


# --- The cases --------------------------------------------------------------------------


def _cases():
    for endpoint in sorted(ACCESS):
        for method in (GET, POST):
            for actor in ACTORS:
                marks = []
                if (endpoint, method, actor) in KNOWN_BUGS:
                    marks = [pytest.mark.xfail(
                        strict=True, reason=KNOWN_BUGS[endpoint, method, actor])]
                yield pytest.param(endpoint, method, actor, marks=marks,
                                   id=f"{endpoint}-{method}-{actor}")


def _refused(outcome: Outcome) -> bool:
    return outcome == LOGIN or outcome in (UNAUTHORIZED, FORBIDDEN, NOT_FOUND, NO_METHOD)


#: What each actor must never be shown on a page or API answer that did open (status
#: 2xx): the unit manager of Q1-BN nothing of Q1-TD; the index owner not the SIPAS figures.
def _leaks(world: World, actor: str, endpoint: str, body: str, data: bytes) -> list[str]:
    if not endpoint.startswith(("admin.", "api.")):
        return []
    found = []
    if actor == "unit_manager":
        # The raw bytes too: a ZIP of posters names its files after their unit.
        found += [s for s in (FOREIGN_UNIT, "Tân Định", world.args["survey_token"])
                  if s in body or s.encode() in data]
    if actor in ("index_owner", "observer") and endpoint == "api.indices":
        allowed = {"index_owner": {OWN_INDEX}, "observer": {"sipas"}}[actor]
        codes = set(re.findall(r'"code":\s*"([^"]+)"', body))
        found += sorted(codes - allowed)
    return found


def _survey_form(actor: Actor, path: str) -> dict[str, str]:
    """The survey page's own form, one required answer left out (422: nothing stored)."""
    response = actor.client.get(path)
    assert response.status_code == 200
    data = filled_survey(response.get_data(as_text=True))
    data.pop("A1")
    return data


def test_every_route_has_an_entry(app):
    """A new route needs its line in ACCESS (and the table no line for a route gone)."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    assert endpoints - set(ACCESS) == set(), "routes without an entry in ACCESS"
    assert set(ACCESS) - endpoints == set(), "entries in ACCESS for routes that are gone"


def test_every_entry_is_complete_and_405_matches_the_route(app):
    for endpoint, methods in ACCESS.items():
        assert set(methods) == {GET, POST}, endpoint
        rule = _rule(app, endpoint)
        for method, outcomes in methods.items():
            assert set(outcomes) == set(ACTORS), (endpoint, method)
            allowed = method in rule.methods
            assert (outcomes == NOT_ALLOWED) == (not allowed), (endpoint, method)


def test_known_bugs_name_real_cases():
    for endpoint, method, actor in KNOWN_BUGS:
        assert actor in ACCESS[endpoint][method], (endpoint, method, actor)


def test_the_safety_nets_catch_what_they_are_for(world):
    """The fingerprint notices a change of a watched column; the leak check notices Q1-TD
    on a page the unit manager of Q1-BN is shown."""
    before = fingerprint(world.app)
    with world.app.app_context():
        db.session.execute(sa.update(QrToken).where(QrToken.id == world.ids["code_id"])
                           .values(label="changed"))
        db.session.commit()
        assert fingerprint(world.app) != before
        db.session.execute(sa.update(QrToken).where(QrToken.id == world.ids["code_id"])
                           .values(label="SIPAS"))
        db.session.commit()
    assert fingerprint(world.app) == before
    page = world.actors["reviewer"].client.get(_url(world, "admin.qrcodes"))
    assert _leaks(world, "unit_manager", "admin.qrcodes", page.get_data(as_text=True),
                  page.data)
    zipped = world.actors["reviewer"].client.get(_url(world, "admin.all_posters"))
    assert _leaks(world, "unit_manager", "admin.all_posters", "", zipped.data)


@pytest.mark.parametrize(("endpoint", "method", "actor"), list(_cases()))
def test_access(world, endpoint, method, actor):
    expected = ACCESS[endpoint][method][actor]
    who = world.actors[actor]
    url = _url(world, endpoint)
    headers = {"Authorization": f"Bearer {who.token}"} if who.token else {}
    data = None
    if method == POST:
        data = dict(world.forms.get(endpoint, {}))
        if endpoint in ("survey.questionnaire", "survey.kiosk") and expected != NO_METHOD:
            data = _survey_form(who, url)
        data["csrf_token"] = who.csrf
    before = fingerprint(world.app) if method == POST and _refused(expected) else None
    copy = _take(world) if endpoint in PUT_BACK and not _refused(expected) else None

    # Closed at once, as a server closes it (a file's answer holds the file open).
    with who.client.open(url, method=method, data=data, headers=headers) as response:
        _check(world, endpoint, method, actor, url, expected, response)
    if before is not None:
        assert fingerprint(world.app) == before, (
            f"{method} {url} as {actor}: a refused request changed data")
    if endpoint in UNDO and not _refused(expected) and method == POST:
        UNDO[endpoint](world, who)
    if copy is not None:
        _put_back(world, copy)


def _check(world: World, endpoint: str, method: str, actor: str, url: str,
           expected: Outcome, response) -> None:
    status = response.status_code
    body = response.get_data(as_text=True) if response.mimetype.startswith(
        ("text/", "application/json")) else ""
    hint = f"{method} {url} as {actor}: {status}"
    assert status < 500, hint
    assert not (status == 400 and method == POST), f"{hint} (a CSRF refusal?) {body[:300]}"
    if isinstance(expected, Redirect):
        assert (status, (response.location or "")[:len(expected.to)]) == (
            expected.status, expected.to), f"{hint} → {response.location}"
    else:
        assert status == expected, f"{hint}, expected {expected} {response.location or ''}"
    if 200 <= status < 300:
        assert _leaks(world, actor, endpoint, body, response.data) == [], hint
