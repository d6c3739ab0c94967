"""Routes of the API. Every route but the OpenAPI document needs a bearer token."""

from __future__ import annotations

from flask import g, jsonify, request

from api import bp
from satisfaction import clock
from satisfaction.accounts import tokens
from satisfaction.accounts.access import scope_for, visible_indices, visible_units
from satisfaction.catalogue.lookup import UnknownQuestionnaire, newest_definitions
from satisfaction.extensions import csrf
from satisfaction.indices import periods
from satisfaction.reporting.reports import Withheld, ranks, unit_report

from .openapi import document

PUBLIC = {"api.openapi"}
PERIOD_MESSAGES = {
    "bad_period": "period must be YYYY, YYYY-Qn or YYYY-MM",
    "bad_date": "from and to must be dates written YYYY-MM-DD",
    "end_before_start": "the period ends (to) before it starts (from)",
    "too_long": "the period is longer than ten years",
}

csrf.exempt(bp)


@bp.before_request
def authenticate():
    if request.endpoint in PUBLIC:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = tokens.user_for_token(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        response = jsonify(error="unauthorized",
                           message="send a valid token: Authorization: Bearer <token>")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    g.user, g.scope = user, scope_for(user)
    return None


def _error(status: int, code: str, message: str):
    response = jsonify(error=code, message=message)
    response.status_code = status
    return response


def _number(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _change(change) -> dict | None:
    """A criterion's change since the compared period, in points (percent)."""
    if change is None:
        return None
    return {"difference": _number(change.difference * 100),
            "low": _number(change.interval.low * 100),
            "high": _number(change.interval.high * 100), "significant": change.significant}


def _coverage(result) -> dict | None:
    """Quarantined answers, dossiers handled, response rate and verified share (percent);
    rate and share are null ("no data") without a dossier list."""
    figures = result.coverage
    if figures is None:
        return None
    return {"quarantined": figures.quarantined, "dossiers_handled": figures.dossiers,
            "verified": figures.verified, "response_rate": _number(figures.rate),
            "more_answers_than_dossiers": figures.more_answers_than_dossiers,
            "verified_share": _number(figures.verified_share)}


@bp.get("/indices")
def indices():
    return jsonify(indices=[
        {
            "code": i.code,
            "name": {"vi": i.name_vi, "en": i.name_en},
            "owner": i.owner.code if i.owner else None,
            "audience": [a for a in i.audience.split(",") if a],
            "target": i.target,
            "method": i.method,
            "scale": {"min": i.scale_min, "max": i.scale_max, "unit": i.scale_unit},
            "questionnaires": i.questionnaire_codes,
        }
        for i in visible_indices(g.scope)
    ])


@bp.get("/units")
def units():
    rows = visible_units(g.scope)
    codes = {u.id: u.code for u in rows}
    return jsonify(units=[
        {
            "code": u.code,
            "kind": u.kind,
            "name": {"vi": u.name_vi, "en": u.name_en},
            "parent": codes.get(u.parent_id) if u.parent_id else None,
            "valid_from": u.valid_from.isoformat(),
            "valid_to": u.valid_to.isoformat() if u.valid_to else None,
            "successor": u.successor.code if u.successor else None,
        }
        for u in rows
    ])


@bp.get("/questionnaires")
def questionnaires():
    result = []
    for version, definition in newest_definitions():
        result.append({
            "code": version.questionnaire.code,
            "version": version.version,
            "index": definition.index,
            "title": dict(definition.title),
            "elements": [
                {"code": group.code, "label": dict(group.label), "scored": group.scored,
                 "items": [{"code": item.code, "text": dict(item.text),
                            "required": item.required, "reverse": item.reverse,
                            "values": sorted(item.scale.values),
                            "no_opinion": item.scale.no_opinion is not None}
                           for item in group.items]}
                for group in definition.groups
            ],
        })
    return jsonify(questionnaires=result)


@bp.get("/indicators")
def indicators():
    index_code, unit_code = request.args.get("index"), request.args.get("unit")
    if not index_code or not unit_code:
        return _error(400, "missing_parameter", "index and unit are required")
    try:
        period = periods.parse(request.args.get("period"), request.args.get("from"),
                               request.args.get("to"), today=clock.today())
        compare = (periods.parse(request.args["compare"], today=clock.today())
                   if request.args.get("compare") else None)
    except periods.PeriodError as exc:
        return _error(400, str(exc), PERIOD_MESSAGES.get(str(exc), "bad period"))
    try:
        report = unit_report(g.scope, index_code, unit_code, period,
                             request.args.get("questionnaire") or None, compare=compare,
                             with_comments=False)
    except UnknownQuestionnaire:
        return _error(400, "unknown_questionnaire", "this index has no such questionnaire")
    except Withheld as exc:
        return _error(403, "withheld",
                      f"a month of this unit in {exc.period.label} has fewer than "
                      f"{exc.minimum} answers: the figures are shown to the reviewing office "
                      "only")
    definition = report.source.definition
    labels = {group.code: dict(group.label) for group in definition.elements}
    texts = {item.code: dict(item.text) for item in definition.scored_items()}
    score = report.result.score
    return jsonify(
        index=report.index.code,
        unit={"code": report.unit.code, "name": {"vi": report.unit.name_vi,
                                                 "en": report.unit.name_en}},
        period={"from": report.period.start.isoformat(), "to": report.period.end.isoformat(),
                "label": report.period.label},
        questionnaire=report.source.questionnaire.code,
        responses=report.result.responses,
        value=_number(score.value),
        scale={"min": score.scale_min, "max": score.scale_max,
               "unit": report.index.scale_unit},
        target=report.result.target,
        state=report.result.state,
        estimated=report.result.estimated,
        coverage=_coverage(report.result),
        previous={"value": _number(report.previous.value),
                  "responses": None if report.previous.withheld else report.previous.responses,
                  "withheld": report.previous.withheld,
                  "estimated": report.previous.estimated,
                  "period": {"from": report.compared_with.start.isoformat(),
                             "to": report.compared_with.end.isoformat(),
                             "label": report.compared_with.label}},
        predecessors=[
            {"code": a.unit.code, "share": a.share, "estimated": a.is_estimate,
             "from": a.start.isoformat(), "to": a.end.isoformat()}
            for a in report.predecessors
        ],
        weighted_by_dossiers=({"value": _number(report.weighted.value),
                               "units": report.weighted.units,
                               "dossiers": report.weighted.dossiers}
                              if report.weighted else None),
        ended=({"on": report.unit.valid_to.isoformat(),
                "successor": report.unit.successor.code if report.unit.successor else None}
               if report.ended else None),
        elements=[
            {
                "code": element.code,
                "label": labels.get(element.code),
                "n": sum(item.n for item in element.items),
                "value": _number(element.value),
                "criteria": [
                    {"code": item.code, "label": texts.get(item.code), "n": item.n,
                     "no_opinion": item.no_opinion, "value": _number(item.value),
                     "mean": _number(item.mean),
                     "distribution": {str(k): v for k, v in item.distribution.items()},
                     "change": _change(report.changes.get(item.code))}
                    for item in element.items
                ],
            }
            for element in score.elements
        ],
        units=[
            {"code": r.unit.code, "responses": r.responses, "value": _number(r.value),
             "target": r.target, "state": r.state, "rank": rank, "ranked_with": r.group,
             "lower_bound": _number(r.low), "commendation_candidate": r.candidate,
             "coverage": _coverage(r)}
            for rank, r in zip(ranks(report.children), report.children, strict=True)
        ],
    )


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


@bp.errorhandler(404)
def not_found(error):
    return _error(404, "not_found", "no such unit, index or address (or not visible to you)")


@bp.errorhandler(403)
def forbidden(error):
    return _error(403, "forbidden", "your token does not give access to this index")



