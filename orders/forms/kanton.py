"""Back-office forms of the canton staff: accounts and municipalities."""

from wtforms import BooleanField, EmailField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import Optional

from orders.forms.fields import (
    PortalForm,
    email_address,
    max_length,
    optional_int,
    phone_number,
    required,
)
from orders.models import Role

ROLE_CHOICES = [
    SelectChoice(Role.GEMEINDE.value, "Gemeinde (Mitarbeitende einer Gemeinde)"),
    SelectChoice(Role.KANTON.value, "Kanton (Koordinationsstelle Integration)"),
]


# Created before the shared account fields, so that forms (and their error summary) list the
# address and the role first, as the page shows them.
_email_field = EmailField(
    "E-Mail-Adresse",
    validators=[
        required("Bitte geben Sie die E-Mail-Adresse ein."),
        email_address(),
        max_length(254),
    ],
)
_role_field = SelectField("Rolle", choices=ROLE_CHOICES, default=Role.GEMEINDE.value)


class AccountFieldsForm(PortalForm):
    municipality = SelectField(
        "Gemeinde", coerce=optional_int, validators=[Optional()], validate_choice=True
    )
    name = StringField(
        "Vor- und Nachname",
        validators=[required("Bitte geben Sie den Namen ein."), max_length(200)],
    )
    function = StringField("Funktion", validators=[max_length(200)])
    phone = StringField("Telefon", validators=[max_length(50), phone_number])


class InviteUserForm(AccountFieldsForm):
    email = _email_field
    role = _role_field
    submit = SubmitField("Einladung senden")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.role.data == Role.GEMEINDE.value and self.municipality.data is None:
            self.municipality.errors = [
                *self.municipality.errors,
                "Bitte wählen Sie die Gemeinde des Kontos.",
            ]
            return False
        return valid


class EditUserForm(AccountFieldsForm):
    submit = SubmitField("Änderungen speichern")


class MunicipalityForm(PortalForm):
    participates = BooleanField("Nimmt am Programm start.integration teil")
    lead = SelectField("Leitgemeinde", coerce=optional_int, validators=[Optional()])
    address = StringField("Strasse und Nr. / Postfach", validators=[max_length(200)])
    town = StringField("PLZ und Ort", validators=[max_length(100)])
    contact_name = StringField("Kontaktperson", validators=[max_length(200)])
    contact_email = EmailField(
        "E-Mail der Kontaktperson", validators=[Optional(), email_address(), max_length(254)]
    )
    contact_phone = StringField(
        "Telefon der Kontaktperson", validators=[max_length(50), phone_number]
    )
    submit = SubmitField("Speichern")
