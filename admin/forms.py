"""The forms of the offices' module (every POST button has one: CSRF everywhere)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FloatField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from satisfaction.db.codes import Channel
from satisfaction.db.units import DossierMode
from satisfaction.intake import quarantine

#: The longest grace period a replaced code may keep working.
MAX_GRACE_DAYS = 90


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail"), validators=[DataRequired(_l("Please enter your e-mail.")), Length(max=254)]
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Please enter your password.")), Length(max=200)],
    )


class EmptyForm(FlaskForm):
    """For POST-only buttons (sign out): just the CSRF token."""


def _new_password_fields():
    return (
        PasswordField(_l("New password"), validators=[
            DataRequired(_l("Please enter the new password.")), Length(max=200)]),
        PasswordField(_l("The new password again"), validators=[
            DataRequired(_l("Please enter the new password again.")),
            EqualTo("new_password", _l("The two passwords are not the same."))]),
    )


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[
        DataRequired(_l("Please enter your current password.")), Length(max=200)])
    new_password, confirm = _new_password_fields()


class PasswordResetRequestForm(FlaskForm):
    email = EmailField(
        _l("E-mail"), validators=[DataRequired(_l("Please enter your e-mail.")), Length(max=254)]
    )


class PasswordResetForm(FlaskForm):
    new_password, confirm = _new_password_fields()


#: The lifetimes offered for a new API token, in days.
TOKEN_DAYS = (30, 90, 180, 365)


class TokenForm(FlaskForm):
    label = StringField(_l("What the token is for"), validators=[
        DataRequired(_l("Please say what the token is for.")), Length(max=100)])
    days = SelectField(_l("Valid for"), coerce=int, default=90)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.days.choices = options([(d, _l("%(days)s days", days=d)) for d in TOKEN_DAYS])


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), validators=[DataRequired()])
    unit = StringField(_l("Unit code"), validators=[Optional(), Length(max=40)])


class ImportForm(FlaskForm):
    questionnaire = SelectField(_l("Questionnaire"), validators=[DataRequired()])
    file = FileField(
        _l("CSV file (UTF-8)"),
        validators=[FileRequired(_l("Please choose a CSV file.")),
                    FileAllowed(["csv", "txt"], _l("Please choose a .csv file."))],
    )
    skip_bad = BooleanField(_l("Store the good rows even if some rows have errors"))


class UnitImportForm(FlaskForm):
    file = FileField(
        _l("CSV file (UTF-8)"),
        validators=[FileRequired(_l("Please choose a CSV file.")),
                    FileAllowed(["csv", "txt"], _l("Please choose a .csv file."))],
    )


class DossierImportForm(FlaskForm):
    file = FileField(
        _l("CSV file (UTF-8)"),
        validators=[FileRequired(_l("Please choose a CSV file.")),
                    FileAllowed(["csv", "txt"], _l("Please choose a .csv file."))],
    )
    skip_bad = BooleanField(_l("Store the good rows even if some rows have errors"))


class RemedyForm(FlaskForm):
    remedy = TextAreaField(_l("What was done, or will be done"),
                           validators=[DataRequired(_l("Please describe the remedy.")),
                                       Length(max=4000)])
    owner = StringField(_l("By whom"), validators=[DataRequired(_l("Please say who.")),
                                                  Length(max=200)])
    due = DateField(_l("By when"), validators=[InputRequired(_l("Please give a date."))])


COMMENDATION_LABELS = {
    "lower_bound": _l("Enough answers, and the lower 95 % bound at the target (recommended)"),
    "value": _l("Enough answers, and the value at the target"),
}


class CommendationForm(FlaskForm):
    index = HiddenField(validators=[DataRequired()])
    rule = SelectField(_l("Commendation candidates"))


LEVEL_LABELS = {
    "all": _l("The index and its elements (criteria listed as evidence)"),
    "overall": _l("The index"), "element": _l("Elements"), "criterion": _l("Criteria"),
}


class RuleForm(FlaskForm):
    index = SelectField(_l("Index"), validators=[DataRequired()])
    questionnaire = StringField(_l("Questionnaire watched (code; empty: the index's first)"),
                                validators=[Optional(), Length(max=64)])
    target = FloatField(_l("Target (percent satisfied)"),
                        validators=[InputRequired(), NumberRange(0, 100)])
    window = StringField(_l("Window (30d, month, quarter, year)"), default="30d",
                         validators=[DataRequired(), Length(max=8)])
    min_n = IntegerField(_l("Minimum number of answers"), default=30,
                         validators=[InputRequired(), NumberRange(1, 100000)])
    rate = FloatField(_l("False-flag rate of the reports' verdicts"), default=0.05,
                      validators=[InputRequired(), NumberRange(0.0001, 0.5)])
    level = SelectField(_l("What is watched"))
    code = StringField(_l("Only this element or criterion (optional)"),
                       validators=[Optional(), Length(max=16)])
    shift = FloatField(_l("The drop to catch (points below the target)"), default=7.0,
                       validators=[InputRequired(), NumberRange(0.5, 50)])
    years = FloatField(_l("A unit at its target gets at most one false alert in (years)"),
                       default=5.0, validators=[InputRequired(), NumberRange(0.5, 100)])
    rejoin_days = IntegerField(_l("A new flag within (days) of clearing continues the episode"),
                               default=30, validators=[InputRequired(), NumberRange(0, 365)])
    escalate_after = IntegerField(_l("Days without a remedy before the owner office is told"),
                                  default=14, validators=[InputRequired(), NumberRange(1, 365)])
    preview = SubmitField(_l("Preview over the last year"))
    add = SubmitField(_l("Add the rule"))


CHANNEL_LABELS = {
    Channel.QR.value: _l("Printed QR code"),
    Channel.KIOSK.value: _l("Kiosk (tablet at the counter)"),
}
#: How a response came in, as the pages name it.
RESPONSE_CHANNEL_LABELS = {
    **CHANNEL_LABELS,
    Channel.PAPER.value: _l("Paper form"),
    Channel.WEB.value: _l("Web"),
}
WINDOW_LABELS = {
    "month": _l("the calendar month"), "quarter": _l("the quarter"), "year": _l("the year"),
}
DOSSIER_MODE_LABELS = {
    DossierMode.OFF.value: _l("Not asked"),
    DossierMode.OPTIONAL.value: _l("Optional"),
    DossierMode.REQUIRED.value: _l("Required"),
    DossierMode.VERIFIED.value: _l("Required and checked against the imported dossiers"),
}


def options(pairs) -> list[SelectChoice]:
    if isinstance(pairs, dict):
        pairs = pairs.items()
    return [SelectChoice(value=value, label=str(label)) for value, label in pairs]


class IssueForm(FlaskForm):
    questionnaire = SelectField(_l("Questionnaire"), validators=[DataRequired()])
    procedure_field = SelectField(_l("Procedure field (optional)"), default="")
    channel = SelectField(
        _l("Kind"), choices=lambda: options(CHANNEL_LABELS), default=Channel.QR.value
    )
    label = StringField(_l("Label (for staff, optional)"),
                        validators=[Optional(), Length(max=200)])


class LabelForm(FlaskForm):
    label = StringField(_l("Label"), validators=[Optional(), Length(max=200)])


class RotateForm(FlaskForm):
    grace_days = IntegerField(
        _l("Old code keeps working for (days)"), default=14,
        validators=[InputRequired(_l("Please give a number of days.")),
                    NumberRange(0, MAX_GRACE_DAYS,
                                _l("The grace period is from 0 to 90 days."))],
    )


class RevokeForm(FlaskForm):
    confirm = BooleanField(
        _l("Yes, revoke this code: it stops accepting answers at once."),
        validators=[DataRequired(_l("Please confirm that the code should be revoked."))],
    )


class DossierModeForm(FlaskForm):
    mode = SelectField(_l("Dossier code on the form"),
                       choices=lambda: options(DOSSIER_MODE_LABELS))


class ReviewForm(FlaskForm):
    decision = HiddenField(validators=[AnyOf([quarantine.Decision.RELEASE,
                                              quarantine.Decision.REJECT])])
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(_l("Please give a reason for the decision.")),
                    Length(max=quarantine.REASON_MAX_LENGTH)],
    )
