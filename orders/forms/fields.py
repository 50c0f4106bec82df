"""Shared pieces for forms: German messages and a base form."""

from flask_wtf import FlaskForm
from wtforms.validators import DataRequired, Email, InputRequired, Length


class PortalForm(FlaskForm):
    """Base for the portal's forms."""


def required(message: str = "Bitte füllen Sie dieses Feld aus.") -> DataRequired:
    return DataRequired(message=message)


def input_required(message: str = "Bitte füllen Sie dieses Feld aus.") -> InputRequired:
    return InputRequired(message=message)


def max_length(maximum: int) -> Length:
    return Length(max=maximum, message=f"Bitte höchstens {maximum} Zeichen eingeben.")


def email_address() -> Email:
    return Email(
        message="Bitte geben Sie eine gültige E-Mail-Adresse ein, z. B. name@gemeinde.ch.",
        check_deliverability=False,
    )
