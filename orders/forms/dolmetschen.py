"""The interpreter order form (Bestellformular Dolmetschende)."""

from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import Optional

from orders.forms.bestellungen import SwissDateField
from orders.forms.fields import (
    NumberRange,
    PortalForm,
    WholeNumberField,
    email_address,
    input_required,
    max_length,
    phone_number,
    required,
)
from orders.models import ConversationType, GenderPreference, Setting
from orders.services.dolmetschen import (
    DURATION_STEP,
    MAX_DURATION,
    MIN_DURATION,
    REFERENCE_MAX,
)

# In minutes, as the booking's page, the mail to HEKS and the outcome give it.
DURATION_CHOICES = [
    SelectChoice(str(minutes), f"{minutes} Minuten")
    for minutes in range(MIN_DURATION, MAX_DURATION + 1, DURATION_STEP)
]


class GermanTimeField(TimeField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Bitte geben Sie die Zeit als HH:MM ein, z. B. 14:30.") from None


class InterpreterForm(PortalForm):
    submission_key = HiddenField()
    conversation_type = RadioField(
        "Art des Gesprächs",
        choices=[SelectChoice(t.value, t.label) for t in ConversationType],
        validators=[input_required("Bitte wählen Sie die Art des Gesprächs.")],
    )
    conversation_other = StringField("Welches Gespräch?", validators=[max_length(200)])
    # input_required, not required: a date or time typed but unreadable keeps its own message
    # («z. B. 14:30») instead of the one for an empty field.
    appointment_date = SwissDateField(
        "Datum", validators=[input_required("Bitte geben Sie das Datum des Gesprächs an.")]
    )
    start_time = GermanTimeField(
        "Beginn", validators=[input_required("Bitte geben Sie die Anfangszeit an.")]
    )
    duration_minutes = SelectField(
        "Voraussichtliche Dauer",
        choices=DURATION_CHOICES,
        default="60",
        coerce=int,
    )
    setting = RadioField(
        "Das Gespräch findet statt",
        choices=[SelectChoice(s.value, s.label) for s in Setting],
        default=Setting.ON_SITE.value,
        validators=[input_required("Bitte wählen Sie, wie das Gespräch stattfindet.")],
    )
    location_address = StringField("Adresse des Gesprächs", validators=[max_length(300)])
    location_room = StringField("Raum", validators=[max_length(100)])
    onsite_contact_name = StringField("Ansprechperson vor Ort", validators=[max_length(200)])
    onsite_contact_phone = StringField(
        "Telefon der Ansprechperson", validators=[max_length(50), phone_number]
    )
    remote_instructions = TextAreaField(
        "So nimmt die dolmetschende Person teil (Video-Link oder Telefonnummer)",
        validators=[max_length(1000)],
    )
    language = SelectField(
        "Sprache", validators=[required("Bitte wählen Sie die Sprache.")], validate_choice=True
    )
    dialect = StringField("Dialekt oder Region (freiwillig)", validators=[max_length(100)])
    country_of_origin = StringField("Herkunftsland (freiwillig)", validators=[max_length(100)])
    participants = WholeNumberField(
        "Anzahl Teilnehmende",
        default=2,
        validators=[
            input_required("Bitte geben Sie die Anzahl Teilnehmende an."),
            NumberRange(1, 30, "Bitte eine Zahl von 1 bis 30."),
        ],
    )
    gender_preference = RadioField(
        "Gewünschtes Geschlecht der dolmetschenden Person",
        choices=[SelectChoice(g.value, g.label) for g in GenderPreference],
        default=GenderPreference.ANY.value,
    )
    reference = StringField(
        "Referenz der Gemeinde (freiwillig)",
        validators=[max_length(REFERENCE_MAX)],
    )
    preparation_notes = TextAreaField(
        "Was die dolmetschende Person zur Vorbereitung wissen soll (freiwillig)",
        validators=[max_length(1000)],
    )
    orderer_name = StringField(
        "Ihr Name",
        validators=[required("Bitte geben Sie Ihren Namen an."), max_length(200)],
    )
    orderer_phone = StringField(
        "Telefon, unter dem HEKS Sie erreicht",
        validators=[
            required("Bitte geben Sie eine Telefonnummer an."),
            max_length(50),
            phone_number,
        ],
    )
    orderer_email = EmailField(
        "E-Mail",
        validators=[
            required("Bitte geben Sie Ihre E-Mail-Adresse an."),
            email_address(),
            max_length(254),
        ],
    )
    called_heks = BooleanField(
        "Ich habe HEKS Linguadukt zusätzlich telefonisch informiert (bei weniger als zwei "
        "Arbeitstagen Vorlauf nötig)."
    )


class OutcomeForm(PortalForm):
    held = RadioField(
        "Hat das Gespräch stattgefunden?",
        choices=[SelectChoice("ja", "Ja"), SelectChoice("nein", "Nein")],
        validators=[input_required("Bitte wählen Sie Ja oder Nein.")],
    )
    actual_duration_minutes = WholeNumberField(
        "Tatsächliche Dauer in Minuten", validators=[Optional()]
    )


class ConfirmForm(PortalForm):
    interpreter_name = StringField(
        "Name der dolmetschenden Person (falls bekannt)", validators=[max_length(200)]
    )
