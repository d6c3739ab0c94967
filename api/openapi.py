"""The OpenAPI 3.1 description of ``/api/v1``."""

from __future__ import annotations

from typing import Any


def _error() -> dict[str, Any]:
    return {"description": "Error", "content": {"application/json": {"schema": {
        "$ref": "#/components/schemas/Error"}}}}


def _ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_LOCALISED = {"type": "object", "properties": {"vi": {"type": "string"},
                                              "en": {"type": "string"}}}
_NUMBER_OR_NULL = {"type": ["number", "null"]}


_COVERAGE = {"type": ["object", "null"], "description": "quarantined answers, dossiers "
             "handled, response rate and verified share (percent); rate and share are null "
             "without a dossier list", "properties": {
                 "quarantined": {"type": "integer"},
                 "dossiers_handled": {"type": "integer"},
                 "verified": {"type": "integer"},
                 "response_rate": _NUMBER_OR_NULL,
                 "more_answers_than_dossiers": {"type": "boolean"},
                 "verified_share": _NUMBER_OR_NULL}}
_PERIOD = {"type": "object", "properties": {
    "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
    "label": {"type": "string"}}}


def _list_of(key: str, item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": [key], "properties": {
        key: {"type": "array", "items": {"type": "object", "properties": item}}}}


_UNITS = _list_of("units", {
    "code": {"type": "string"}, "kind": {"type": "string"}, "name": _LOCALISED,
    "parent": {"type": ["string", "null"]},
    "valid_from": {"type": "string", "format": "date"},
    "valid_to": {"type": ["string", "null"], "format": "date"},
    "successor": {"type": ["string", "null"]}})
_INDICES = _list_of("indices", {
    "code": {"type": "string"}, "name": _LOCALISED, "owner": {"type": ["string", "null"]},
    "audience": {"type": "array", "items": {"type": "string"}}, "target": {"type": "number"},
    "method": {"type": "string"},
    "scale": {"type": "object", "properties": {
        "min": {"type": "number"}, "max": {"type": "number"},
        "unit": {"type": ["string", "null"]}}},
    "questionnaires": {"type": "array", "items": {"type": "string"}}})
_QUESTIONNAIRES = _list_of("questionnaires", {
    "code": {"type": "string"}, "version": {"type": "integer"}, "index": {"type": "string"},
    "title": _LOCALISED,
    "elements": {"type": "array", "items": {"type": "object", "properties": {
        "code": {"type": "string"}, "label": _LOCALISED, "scored": {"type": "boolean"},
        "items": {"type": "array", "items": {"type": "object", "properties": {
            "code": {"type": "string"}, "text": _LOCALISED, "required": {"type": "boolean"},
            "reverse": {"type": "boolean"},
            "values": {"type": "array", "items": {"type": "integer"}},
            "no_opinion": {"type": "boolean"}}}}}}}})


def _indicators_schema() -> dict[str, Any]:
    localised, number_or_null = _LOCALISED, _NUMBER_OR_NULL
    criterion = {"type": "object", "required": ["code", "n", "value"], "properties": {
        "code": {"type": "string"}, "label": localised, "n": {"type": "integer"},
        "no_opinion": {"type": "integer"}, "value": number_or_null, "mean": number_or_null,
        "distribution": {"type": "object", "additionalProperties": {"type": "integer"}},
        "change": {"type": ["object", "null"], "description": "the share's change since the "
                   "compared period, in points, with Newcombe's 95 % interval; significant "
                   "by a two-sided test with Benjamini-Hochberg across the criteria",
                   "properties": {"difference": {"type": "number"}, "low": {"type": "number"},
                                  "high": {"type": "number"},
                                  "significant": {"type": "boolean"}}}}}
    element = {"type": "object", "required": ["code", "n", "value", "criteria"], "properties": {
        "code": {"type": "string"}, "label": localised, "n": {"type": "integer"},
        "value": number_or_null, "criteria": {"type": "array", "items": criterion}}}
    return {
        "type": "object",
        "required": ["index", "unit", "period", "responses", "value", "elements"],
        "properties": {
            "index": {"type": "string"},
            "unit": {"type": "object", "properties": {
                "code": {"type": "string"}, "name": localised}},
            "period": {"type": "object", "properties": {
                "from": {"type": "string", "format": "date"},
                "to": {"type": "string", "format": "date"},
                "label": {"type": "string"}}},
            "questionnaire": {"type": "string"},
            "responses": {"type": "integer"},
            "value": number_or_null,
            "target": {"type": "number"},
            "state": {"type": "string", "enum": ["meets", "below", "no_data",
                                                        "not_enough_data"]},
            "estimated": {"type": "boolean", "description": "some answers are a split "
                          "predecessor's, carried over by its share"},
            "predecessors": {"type": "array", "items": {"type": "object", "properties": {
                "code": {"type": "string"}, "share": {"type": "number"},
                "estimated": {"type": "boolean"},
                "from": {"type": "string", "format": "date"},
                "to": {"type": "string", "format": "date"}}}},
            "weighted_by_dossiers": {"type": ["object", "null"], "description": "the direct "
                                     "units' values weighted by the dossiers each handled",
                                     "properties": {"value": {"type": "number"},
                                                    "units": {"type": "integer"},
                                                    "dossiers": {"type": "integer"}}},
            "ended": {"type": ["object", "null"], "properties": {
                "on": {"type": "string", "format": "date"},
                "successor": {"type": ["string", "null"]}}},
            "coverage": _COVERAGE,
            "scale": {"type": "object", "properties": {
                "min": {"type": "number"}, "max": {"type": "number"},
                "unit": {"type": ["string", "null"]}}},
            "previous": {"type": "object", "description": "the period compared with: the "
                         "one before, or ?compare", "properties": {
                             "value": number_or_null,
                             "responses": {"type": ["integer", "null"], "description":
                                           "null when withheld by the disclosure rule"},
                             "withheld": {"type": "boolean"},
                             "estimated": {"type": "boolean"}, "period": _PERIOD}},
            "elements": {"type": "array", "items": element},
            "units": {"type": "array", "description": "the units directly below, ranked "
                      "first (by the lower 95 % bound), then those with too few answers",
                      "items": {"type": "object", "properties": {
                          "code": {"type": "string"},
                          "responses": {"type": "integer"},
                          "value": number_or_null,
                          "target": {"type": "number"},
                          "state": {"type": "string"},
                          "rank": {"type": ["integer", "null"]},
                          "ranked_with": {"type": "string",
                                          "enum": ["territorial", "offices"]},
                          "lower_bound": number_or_null,
                          "commendation_candidate": {"type": "boolean"},
                          "coverage": _COVERAGE}}},
        },
    }


def _paths() -> dict[str, Any]:
    period_params = [
        {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
        {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
        {"name": "period", "in": "query", "description": "YYYY, YYYY-Qn or YYYY-MM",
         "schema": {"type": "string"}},
    ]
    secured = {"security": [{"bearer": []}]}
    return {
        "/indicators": {"get": {
            **secured,
            "summary": "An index for a unit (rolled up over the units below) and a period",
            "parameters": [
                {"name": "index", "in": "query", "required": True,
                 "schema": {"type": "string"}, "example": "sipas"},
                {"name": "unit", "in": "query", "required": True,
                 "schema": {"type": "string"}, "example": "Q1"},
                {"name": "questionnaire", "in": "query", "schema": {"type": "string"}},
                *period_params,
                {"name": "compare", "in": "query", "description": "the period to compare "
                 "with (YYYY, YYYY-Qn, YYYY-MM); by default the one before",
                 "schema": {"type": "string"}},
            ],
            "responses": {
                "200": {"description": "The indicators", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Indicators"}}}},
                "400": _error(), "401": _error(), "403": _error(), "404": _error()},
        }},
        "/units": {"get": {**secured, "summary": "Units visible to the token",
                           "responses": {"200": _ok("Units", _UNITS), "401": _error()}}},
        "/indices": {"get": {**secured, "summary": "Indices visible to the token",
                             "responses": {"200": _ok("Indices", _INDICES),
                                           "401": _error()}}},
        "/questionnaires": {"get": {**secured,
                                    "summary": "Questionnaires with elements and item codes",
                                    "responses": {"200": _ok("Questionnaires",
                                                             _QUESTIONNAIRES),
                                                  "401": _error()}}},
    }


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Public service satisfaction — read-only API",
            "version": "1.0.0",
            "description": "Indices (SIPAS, PCI, PAPI, PAR INDEX, business support) per unit "
                           "and period. A value is null when there are no answers: never 0.",
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error", "message"], "properties": {
                    "error": {"type": "string"}, "message": {"type": "string"}}},
                "Indicators": _indicators_schema(),
            },
        },
        "paths": _paths(),
    }
