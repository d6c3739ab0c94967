from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, EmailField, PasswordField, SelectField
from wtforms.validators import DataRequired, Length


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
