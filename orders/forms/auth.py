"""Login, passwords, a person's own details."""

from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import EqualTo

from orders.forms.fields import PortalForm, email_address, max_length, required
from orders.forms.kanton import AccountFieldsForm


class LoginForm(PortalForm):
    email = EmailField(
        "E-Mail-Adresse",
        validators=[required("Bitte geben Sie Ihre E-Mail-Adresse ein."), max_length(254)],
    )
    password = PasswordField(
        "Passwort", validators=[required("Bitte geben Sie Ihr Passwort ein."), max_length(200)]
    )
    submit = SubmitField("Anmelden")


class CurrentPasswordField(PortalForm):
    """Defined before SetPasswordForm's fields: WTForms orders fields by when they were made,
    so that the change form, its error summary included, asks for the current one first."""

    current_password = PasswordField(
        "Bisheriges Passwort",
        validators=[required("Bitte geben Sie Ihr bisheriges Passwort ein.")],
    )


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


class ChangePasswordForm(CurrentPasswordField, SetPasswordForm):
    pass


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


class OwnDetailsForm(AccountFieldsForm):
    """What a person keeps up to date themselves: name, function and phone (the order forms
    fill in name and phone). Their municipality is the canton's to change."""

    municipality = None
    submit = SubmitField("Angaben speichern")
