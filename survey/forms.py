"""Reading a survey submission against its questionnaire definition.

A missing answer is the respondent's slip: the form comes back with a message. A value no
offered choice has is not a slip (our page cannot send it): the request is refused as forged.

The survey does not build a WTForms form: on the hot path of the product, checking 20-odd
radio groups directly against the definition costs a fraction of binding as many fields.
CSRF is still checked by Flask-WTF's ``CSRFProtect`` in the view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from satisfaction.db.responses import RespondentKind
from satisfaction.db.units import DossierMode
from satisfaction.indices.questionnaires import NO_OPINION, Definition
from satisfaction.intake.dossiers import normalise_code
from satisfaction.intake.storing import Answered
from satisfaction.intake.submit import Sent
from survey.errors import ForgedInput

COMMENT_MAX_LENGTH = 2000

RESPONDENT_KINDS = (
    (RespondentKind.CITIZEN.value, _l("A citizen")),
    (RespondentKind.BUSINESS.value, _l("A business or organisation")),
)
LABELS = {
    "respondent_kind": _l("You are answering as"),
    "procedure_field": _l("Which kind of procedure did you come for?"),
    "comment": _l("Anything else you want to tell us (optional)"),
    "dossier": _l("Dossier code on your receipt"),
}
#: The hidden field people never see (and so never fill in); scripts that fill every field do.
HONEYPOT_FIELD = "website"
DOSSIER_MAX_LENGTH = 60


@dataclass
class Submission:
    """What a respondent sent (or an empty form): values kept for re-display, errors by
    field name."""

    #: Field name -> the submitted text, as sent.
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    #: Item code -> value, None for "no opinion"; unanswered optional items are omitted.
    answers: dict[str, int | None] = field(default_factory=dict)
    #: The normalised dossier code, when one was given and is well formed.
    dossier: str | None = None

    @property
    def respondent_kind(self) -> str:
        return self.values["respondent_kind"]

    @property
    def procedure_field(self) -> str:
        return self.values["procedure_field"]

    @property
    def comment(self) -> str:
        return self.values.get("comment", "").strip()

    @property
    def submission_id(self) -> str:
        return self.values.get("submission", "")

    @property
    def honeypot(self) -> str:
        return self.values.get(HONEYPOT_FIELD, "")

    def sent(self, locale: str) -> Sent:
        """What the intake service needs of this submission."""
        return Sent(
            submission_id=self.submission_id,
            answered=Answered(
                answers=self.answers, respondent_kind=self.respondent_kind,
                procedure_field_code=self.procedure_field, comment=self.comment,
                locale=locale,
            ),
            errors=dict(self.errors),
            honeypot=self.honeypot,
            dossier=self.dossier,
        )


def _single(form: MultiDict, name: str) -> str:
    values = form.getlist(name)
    if len(values) > 1:
        raise ForgedInput()
    return values[0] if values else ""


def read_submission(
    definition: Definition,
    form: MultiDict,
    procedure_codes: Sequence[str],
    dossier_mode: str = DossierMode.OFF.value,
) -> Submission:
    """Check a posted survey against the definition.

    Raises ``ForgedInput`` for any value outside the offered choices (an answer off the
    scale, an unknown kind or procedure field, a field sent twice).
    """
    result = Submission()
    required_message = _("Please choose an answer.")

    def choice(name: str, offered: Mapping[str, object] | Sequence[str], required: bool):
        raw = _single(form, name)
        result.values[name] = raw
        if raw == "":
            if required:
                result.errors[name] = required_message
            return None
        if raw not in offered:
            raise ForgedInput()
        return raw

    choice("respondent_kind", [code for code, _label in RESPONDENT_KINDS], True)
    choice("procedure_field", procedure_codes, True)
    for item in definition.items():
        offered = item.scale.text_values
        raw = choice(item.code, offered, item.required)
        if raw is not None:
            value = int(raw)
            result.answers[item.code] = None if value == NO_OPINION else value
    comment = _single(form, "comment")
    result.values["comment"] = comment
    if len(comment.strip()) > COMMENT_MAX_LENGTH:
        result.errors["comment"] = _("Please shorten your comment to at most 2,000 characters.")
    result.values["submission"] = _single(form, "submission")
    result.values[HONEYPOT_FIELD] = _single(form, HONEYPOT_FIELD)
    if dossier_mode != DossierMode.OFF.value:
        typed = _single(form, "dossier")[:DOSSIER_MAX_LENGTH]
        result.values["dossier"] = typed
        if not typed.strip():
            if dossier_mode != DossierMode.OPTIONAL.value:
                result.errors["dossier"] = _(
                    "Please type the dossier code printed on your receipt."
                )
        else:
            result.dossier = normalise_code(typed)
            if result.dossier is None:
                result.errors["dossier"] = _(
                    "This does not look like a dossier code. Please copy it from your "
                    "receipt, e.g. 000.00.20.H29-221103-0012."
                )
    return result


@dataclass(frozen=True)
class Step:
    """One screenful of the form: the first asks who answers and about which procedure;
    then one step per element of the index (the extra questions and the comment join the
    last). The whole form is always in the page; the steps not shown are ``hidden`` and
    their answers are posted with every step, so the server keeps nothing between steps."""

    number: int
    #: The codes of the questionnaire groups shown in this step.
    groups: tuple[str, ...]
    #: The form fields whose errors belong to this step.
    fields: frozenset[str]
    #: The numbers of the first and last required questions of the step (0, 0: none).
    first: int = 0
    last: int = 0


def steps_of(definition: Definition) -> tuple[Step, ...]:
    steps = [Step(1, (), frozenset({"respondent_kind", "procedure_field", "dossier"}))]
    scored = [group for group in definition.groups if group.scored]
    extras = [group for group in definition.groups if not group.scored]
    asked = 0
    for position, group in enumerate(scored):
        last = position == len(scored) - 1
        groups = [group, *(extras if last else [])]
        fields = {item.code for g in groups for item in g.items}
        if last:
            fields.add("comment")
        required = sum(item.required for g in groups for item in g.items)
        steps.append(Step(len(steps) + 1, tuple(g.code for g in groups), frozenset(fields),
                          asked + 1, asked + required))
        asked += required
    return tuple(steps)


def step_of_field(steps: Sequence[Step], name: str) -> int:
    return next((step.number for step in steps if name in step.fields), len(steps))
