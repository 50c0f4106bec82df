"""Login, passwords."""

from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import EqualTo

from orders.forms.fields import PortalForm, email_address, max_length, required


class LoginForm(PortalForm):
    email = EmailField(
        "E-Mail-Adresse",
        validators=[required("Bitte geben Sie Ihre E-Mail-Adresse ein."), max_length(254)],
    )
    password = PasswordField(
        "Passwort", validators=[required("Bitte geben Sie Ihr Passwort ein."), max_length(200)]
    )
    submit = SubmitField("Anmelden")


class SetPasswordForm(PortalForm):
    password = PasswordField(
        "Neues Passwort", validators=[required("Bitte geben Sie ein Passwort ein.")]
    )
    password_confirm = PasswordField(
        "Neues Passwort wiederholen",
        validators=[
            required("Bitte wiederholen Sie das Passwort."),
            EqualTo("password", message="Die beiden Passwörter stimmen nicht überein."),
        ],
    )
    submit = SubmitField("Passwort speichern")


class ChangePasswordForm(SetPasswordForm):
    current_password = PasswordField(
        "Bisheriges Passwort",
        validators=[required("Bitte geben Sie Ihr bisheriges Passwort ein.")],
    )


class ForgotPasswordForm(PortalForm):
    email = EmailField(
        "E-Mail-Adresse",
        validators=[
            required("Bitte geben Sie Ihre E-Mail-Adresse ein."),
            email_address(),
            max_length(254),
        ],
    )
    submit = SubmitField("Link anfordern")
