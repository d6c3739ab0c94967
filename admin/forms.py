from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FloatField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional


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


class ImportForm(FlaskForm):
    questionnaire = SelectField(_l("Questionnaire"), validators=[DataRequired()])
    file = FileField(
        _l("CSV file (UTF-8)"),
        validators=[FileRequired(_l("Please choose a CSV file.")),
                    FileAllowed(["csv", "txt"], _l("Please choose a .csv file."))],
    )
    skip_bad = BooleanField(_l("Store the good rows even if some rows have errors"))


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


class RuleForm(FlaskForm):
    index = SelectField(_l("Index"), validators=[DataRequired()])
    target = FloatField(_l("Target (percent satisfied)"),
                        validators=[InputRequired(), NumberRange(0, 100)])
    window = StringField(_l("Window (30d, month, quarter, year)"), default="30d",
                         validators=[DataRequired(), Length(max=8)])
    min_n = IntegerField(_l("Minimum number of answers"), default=30,
                         validators=[InputRequired(), NumberRange(1, 100000)])
    rate = FloatField(_l("False-flag rate"), default=0.05,
                      validators=[InputRequired(), NumberRange(0.0001, 0.5)])
    level = SelectField(_l("What is tested"), choices=[
        ("all", _l("The index, its elements and criteria")), ("overall", _l("The index")),
        ("element", _l("Elements")), ("criterion", _l("Criteria"))])
    code = StringField(_l("Only this element or criterion (optional)"),
                       validators=[Optional(), Length(max=16)])
