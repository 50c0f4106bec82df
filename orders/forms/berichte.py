"""The half-year report, the self-declaration, and the canton's forms to reopen one and to enter
a new tariff."""

from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from orders.forms.fields import (
    CheckboxListField,
    FrancField,
    NumberRange,
    PortalForm,
    WholeNumberField,
    email_address,
    input_required,
    max_length,
    phone_number,
    required,
)
from orders.models import TariffKind
from orders.services.berichte import (
    COOPERATION,
    COUNT_MESSAGE,
    DECLARATION_FIELDS,
    FIGURES,
    FIRST_INFO_FORMS,
    MAX_COUNT,
    MAX_RESIDENTS,
    ORGANISATION,
    RESIDENTS_MESSAGE,
)

CHOICE_MESSAGE = "Bitte wählen Sie aus den angebotenen Möglichkeiten."


def _count(label: str) -> WholeNumberField:
    return WholeNumberField(
        label,
        validators=[NumberRange(0, MAX_COUNT, COUNT_MESSAGE)],
    )


class ReportForm(PortalForm):
    first_info_conversations = _count(FIGURES["first_info_conversations"])
    first_info_people = _count(FIGURES["first_info_people"])
    first_info_interpreter = _count(FIGURES["first_info_interpreter"])
    integration_conversations = _count(FIGURES["integration_conversations"])
    integration_interpreter = _count(FIGURES["integration_interpreter"])
    s_conversations = _count(FIGURES["s_conversations"])
    s_follow_ups = _count(FIGURES["s_follow_ups"])
    remarks = TextAreaField("Bemerkungen (freiwillig)", validators=[max_length(2000)])
    documents_filed = BooleanField(
        "Die unterzeichneten Gesprächsleitfäden und Formulare sind bei der Gemeinde abgelegt "
        "und stehen der kantonalen Finanzkontrolle zur Verfügung."
    )

    def figures(self) -> dict:
        return {key: self[key].data for key in FIGURES}

    def unreadable(self) -> set[str]:
        """The figures whose input is no whole number: their None is not an empty field."""
        return {key for key in FIGURES if self[key].process_errors}


def _text(key: str, maximum: int = 200) -> StringField:
    return StringField(DECLARATION_FIELDS[key], validators=[max_length(maximum)])


class DeclarationForm(PortalForm):
    contact_point = BooleanField(
        "Unsere Gemeinde hat eine Ansprechstelle für Integrationsfragen bezeichnet."
    )
    contact_name = _text("contact_name")
    contact_address = _text("contact_address", 300)
    contact_phone = StringField(
        DECLARATION_FIELDS["contact_phone"], validators=[max_length(50), phone_number]
    )
    contact_email = EmailField(
        DECLARATION_FIELDS["contact_email"],
        validators=[Optional(), max_length(254), email_address()],
    )
    organisation_model = RadioField(
        DECLARATION_FIELDS["organisation_model"],
        choices=[SelectChoice(key, label) for key, label in ORGANISATION.items()],
        invalid_choice_message=CHOICE_MESSAGE,
    )
    led_municipalities = TextAreaField(
        "Gemeinden, für die Sie Leitgemeinde sind", validators=[max_length(1000)]
    )
    strategic_lead_name = _text("strategic_lead_name")
    strategic_lead_function = _text("strategic_lead_function")
    operative_lead_name = _text("operative_lead_name")
    operative_lead_percent = WholeNumberField(
        DECLARATION_FIELDS["operative_lead_percent"],
        validators=[NumberRange(0, 100, "Bitte ein Pensum von 0 bis 100 Prozent.")],
    )
    first_info_held = BooleanField("Unsere Gemeinde führt die Erstinformation durch.")
    first_info_forms = CheckboxListField(
        "Wie findet die Erstinformation statt?",
        choices=[SelectChoice(key, label) for key, label in FIRST_INFO_FORMS.items()],
        invalid_choice_message=CHOICE_MESSAGE,
    )
    cooperation = CheckboxListField(
        DECLARATION_FIELDS["cooperation"],
        choices=[SelectChoice(key, label) for key, label in COOPERATION.items()],
        invalid_choice_message=CHOICE_MESSAGE,
    )
    cooperation_other = _text("cooperation_other", 300)
    foreign_residents = WholeNumberField(
        DECLARATION_FIELDS["foreign_residents"],
        validators=[NumberRange(0, MAX_RESIDENTS, RESIDENTS_MESSAGE)],
    )
    remarks = TextAreaField("Bemerkungen (freiwillig)", validators=[max_length(2000)])
    confirmed = BooleanField("Wir bestätigen, dass diese Angaben korrekt sind.")
    signatory_name = _text("signatory_name")
    signatory_function = _text("signatory_function")

    def declaration_data(self) -> dict:
        data = {key: self[key].data for key in DECLARATION_FIELDS}
        for key, value in data.items():
            if isinstance(value, str):
                data[key] = value.strip()
        data["organisation_model"] = data["organisation_model"] or None
        return data


class ReopenForm(PortalForm):
    reason = TextAreaField(
        "Grund für die Korrektur (geht per E-Mail an die Gemeinde)",
        validators=[required("Bitte geben Sie einen Grund an."), max_length(2000)],
    )


# The most a tariff can be, in centimes: CHF 100'000 (the highest today is CHF 1'000).
MAX_TARIFF = 10_000_000


class TariffForm(PortalForm):
    """A new circular letter's amount. Checked first (the page says what it changes), saved
    when the check page's button sends confirmed=1 (views.confirmed_in_form)."""

    kind = SelectField(
        "Tarif",
        choices=[SelectChoice(kind.value, kind.label) for kind in TariffKind],
        validate_choice=True,
        invalid_choice_message=CHOICE_MESSAGE,
    )
    amount = FrancField(
        "Betrag in Franken",
        validators=[
            input_required("Bitte geben Sie den Betrag ein."),
            NumberRange(0, MAX_TARIFF, "Bitte einen Betrag von 0 bis 100'000 Franken."),
        ],
        render_kw={"inputmode": "decimal"},
    )
    valid_from = SelectField(
        "Gültig ab", validate_choice=True, invalid_choice_message=CHOICE_MESSAGE
    )
    source = StringField(
        "Grundlage",
        validators=[
            required("Bitte geben Sie das Kreisschreiben an, das den Betrag festlegt."),
            max_length(100),
        ],
    )
