"""The survey form, built from a questionnaire definition.

A missing answer is the respondent's slip: the form comes back with a message. A value no
offered choice has is not a slip (our page cannot send it): the request is refused as forged.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, StopValidation

from satisfaction.errors import ForgedInput
from satisfaction.models import RespondentKind
from satisfaction.questionnaires import NO_OPINION, Definition, text

COMMENT_MAX_LENGTH = 2000


class StrictChoices:
    """Mixin for choice fields: anything outside the offered choices raises ``ForgedInput``."""

    forged = False

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        if not valuelist or valuelist == [""]:
            return
        if len(valuelist) > 1:
            self.forged = True
            return
        try:
            self.data = self.coerce(valuelist[0])
        except ValueError:
            self.forged = True

    def pre_validate(self, form) -> None:
        # Checked here, not when the data is read: choices may be set after construction.
        offered = {self.coerce(choice.value) for choice in self.iter_choices()}
        if self.forged or (self.data is not None and self.data not in offered):
            raise ForgedInput()


class AnswerField(StrictChoices, RadioField):
    pass


class ChoiceSelectField(StrictChoices, SelectField):
    pass


class Answered:
    """Required, with a message a respondent understands."""

    def __init__(self, message: str | None = None):
        self.message = message

    def __call__(self, form, field) -> None:
        if field.data is None:
            raise StopValidation(self.message or _("Please choose an answer."))


class SurveyFormBase(FlaskForm):
    #: Signed, random id of this form; a resubmission of the same form stores nothing new.
    submission = HiddenField()
    respondent_kind = AnswerField(
        _l("You are answering as"),
        choices=[
            SelectChoice(RespondentKind.CITIZEN.value, _l("A citizen")),
            SelectChoice(RespondentKind.BUSINESS.value, _l("A business or organisation")),
        ],
        validators=[Answered()],
    )
    procedure_field = ChoiceSelectField(
        _l("Which kind of procedure did you come for?"),
        coerce=str,
        validators=[Answered()],
    )
    comment = TextAreaField(
        _l("Anything else you want to tell us (optional)"),
        validators=[
            Optional(),
            Length(
                max=COMMENT_MAX_LENGTH,
                message=_l("Please shorten your comment to at most 2,000 characters."),
            ),
        ],
    )

    def answers(self, definition: Definition) -> dict[str, int | None]:
        """The answered items, ``None`` for "no opinion"; unanswered optional items omitted."""
        result: dict[str, int | None] = {}
        for item in definition.items():
            value = self[item.code].data
            if value is not None:
                result[item.code] = None if value == NO_OPINION else value
        return result


@lru_cache(maxsize=64)
def _form_class(definition: Definition, locale: str) -> type[SurveyFormBase]:
    fields = {}
    for item in definition.items():
        choices = [
            SelectChoice(str(option.value), text(option.label, locale))
            for option in item.scale.options
        ]
        if item.scale.no_opinion is not None:
            choices.append(SelectChoice(str(NO_OPINION), text(item.scale.no_opinion, locale)))
        fields[item.code] = AnswerField(
            text(item.text, locale),
            choices=choices,
            coerce=int,
            validators=[Answered()] if item.required else [Optional()],
        )
    return type(f"SurveyForm_{definition.code}_{definition.version}", (SurveyFormBase,), fields)


def make_survey_form(
    definition: Definition, locale: str, procedure_fields: Sequence[tuple[str, str]], **kwargs
) -> SurveyFormBase:
    """A form instance for ``definition`` in ``locale``; ``procedure_fields`` are (code, name)."""
    form = _form_class(definition, locale)(**kwargs)
    form.procedure_field.choices = [
        SelectChoice("", _("— Choose —")),
        *(SelectChoice(code, name) for code, name in procedure_fields),
    ]
    return form
