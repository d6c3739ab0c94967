"""A citizen's answer, from the posted form to the stored response: the one service the
survey's POST calls.

In order: the form's signed id (forged, or a retry of a stored answer?), the dossier code
(used before? on the imported list?), the integrity checks (the answer alone, then the
shared state: rate limits, bursts, the device), and storing. The outcome tells the view
what to show; nothing here reads the request or words a message.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from flask import current_app

from satisfaction.db.codes import Channel
from satisfaction.db.units import DossierMode
from satisfaction.extensions import db
from satisfaction.indices.questionnaires import Definition
from satisfaction.intake.client_checks import Client, check_client
from satisfaction.intake.dossiers import dossier_claimant, dossier_known
from satisfaction.intake.integrity import content_flags
from satisfaction.intake.storing import Answered, DossierAlreadyUsed, Integrity, store_response
from satisfaction.intake.submission_ids import read_submission_id
from satisfaction.privacy import dossier_hash
from satisfaction.qrcodes.resolve import SurveyTarget


class Result(enum.StrEnum):
    #: Stored (accepted, or quarantined: the respondent is thanked either way).
    STORED = "stored"
    #: A retry of an answer already stored: thank, store nothing.
    RETRY = "retry"
    #: Something the respondent can fix; ``Outcome.errors`` says what, by field.
    INVALID = "invalid"
    #: A form id no page of ours issued for this code.
    FORGED = "forged"


#: Error keys for the dossier field, worded by the survey's views.
DOSSIER_USED = "dossier_used"
DOSSIER_NOT_LISTED = "dossier_not_listed"


@dataclass(frozen=True)
class Sent:
    """A posted survey form, read and checked against the questionnaire by the web layer."""

    submission_id: str
    answered: Answered
    #: The respondent's slips already found (field -> message): nothing is stored.
    errors: dict[str, str]
    honeypot: str = ""
    #: The normalised dossier code, when one was given and is well formed.
    dossier: str | None = None


@dataclass(frozen=True)
class Outcome:
    result: Result
    #: Field -> a message, or for the dossier field one of the keys above.
    errors: dict[str, str] = field(default_factory=dict)
    #: The device cookie's new value, when it should be set.
    device_cookie: str | None = None


def submit(target: SurveyTarget, definition: Definition, sent: Sent, client: Client,
           channel: str) -> Outcome:
    """Check and store one answer; see ``Result`` for what can come of it."""
    issued = read_submission_id(sent.submission_id, target)
    if issued is None:
        return Outcome(Result.FORGED)
    submission_key, elapsed = issued
    errors = dict(sent.errors)
    code_hash = dossier_hash(sent.dossier) if sent.dossier else None
    verified = False
    if code_hash and not errors:
        claimant = dossier_claimant(target.questionnaire_id, code_hash)
        if claimant == submission_key:
            # A retry of a response already stored (a flaky network): thank, store nothing.
            return Outcome(Result.RETRY)
        if claimant is not None:
            errors["dossier"] = DOSSIER_USED
        else:
            verified = dossier_known(target.unit_id, code_hash)
            if not verified and target.dossier_mode == DossierMode.VERIFIED.value:
                errors["dossier"] = DOSSIER_NOT_LISTED
    if errors:
        return Outcome(Result.INVALID, errors)

    config = current_app.config
    flags = content_flags(
        honeypot=sent.honeypot,
        elapsed_seconds=elapsed,
        scored_answers=[sent.answered.answers.get(item.code)
                        for item in definition.scored_items()],
        min_seconds=config["SURVEY_MIN_SECONDS"],
        straight_line_seconds=config["SURVEY_STRAIGHT_LINE_SECONDS"],
    )
    checks = check_client(client, token_id=target.token_id, counter_id=target.counter_id,
                          kiosk=channel == Channel.KIOSK.value)
    try:
        store_response(
            target=target, definition=definition, submission_key=submission_key,
            answered=sent.answered, channel=channel,
            integrity=Integrity(
                flags=tuple(str(flag) for flag in [*flags, *checks.flags]),
                elapsed_seconds=elapsed,
                client_hash=checks.client_hash,
                network_hash=checks.network_hash,
            ),
            dossier_hash=code_hash, dossier_verified=verified,
        )
    except DossierAlreadyUsed:
        # Another copy of this code won a race on another app server: nothing is kept.
        db.session.rollback()
        return Outcome(Result.INVALID, {"dossier": DOSSIER_USED})
    return Outcome(Result.STORED, device_cookie=checks.device_cookie)
