"""The canton's form for a network meeting, and the reason it is called off."""

from datetime import date

from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import Optional, ValidationError

from orders.forms.bestellungen import SwissDateField, not_in_past
from orders.forms.dolmetschen import GermanTimeField
from orders.forms.fields import (
    BezirkeAudience,
    CheckboxListField,
    PortalForm,
    audience_field,
    input_required,
    max_length,
    required,
)
from orders.services.deadlines import today_local


class MeetingForm(BezirkeAudience, PortalForm):
    # The day and registration deadline a meeting has: kept, they may lie in the past (a past
    # meeting's title corrected, a deadline run out meanwhile); new or changed, they must not.
    current_day: date | None = None
    current_registration_until: date | None = None

    submission_key = HiddenField()
    title = StringField(
        "Titel",
        validators=[required("Bitte geben Sie einen Titel ein."), max_length(200)],
        render_kw={"placeholder": "z. B. Vernetzungstreffen Thal-Gäu"},
    )
    # input_required: a value typed but unreadable keeps its own message («als HH:MM»).
    day = SwissDateField("Datum", validators=[input_required("Bitte geben Sie das Datum an.")])
    starts_at = GermanTimeField(
        "Beginn", validators=[input_required("Bitte geben Sie den Beginn an.")]
    )
    ends_at = GermanTimeField("Ende (freiwillig)", validators=[Optional()])
    place = StringField(
        "Ort (Adresse, Raum)",
        validators=[required("Bitte geben Sie den Ort an."), max_length(300)],
    )
    description = TextAreaField(
        "Programm und Hinweise (freiwillig)",
        validators=[max_length(5000)],
        render_kw={"rows": 6},
    )
    audience = audience_field(
        "Eingeladen sind",
        "Die Integrationsverantwortlichen aller Gemeinden",
        "Bitte wählen Sie, wer eingeladen ist.",
    )
    bezirke = CheckboxListField("Bezirke")
    registration_until = SwissDateField("Anmeldung bis (freiwillig)", validators=[Optional()])

    def validate_day(self, field):
        if field.data != self.current_day:
            not_in_past(self, field)

    def validate_ends_at(self, field):
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError("Das Ende muss nach dem Beginn liegen.")

    def validate_registration_until(self, field):
        """A deadline newly set in the past would close registration from the start. One
        kept while editing has run out meanwhile: refusing it would block every other change
        (and clearing it would reopen registration)."""
        if not field.data:
            return
        if self.day.data and field.data > self.day.data:
            raise ValidationError("Die Anmeldefrist kann nicht nach dem Treffen enden.")
        if field.data != self.current_registration_until and field.data < today_local():
            raise ValidationError(
                "Diese Anmeldefrist ist schon abgelaufen; die Anmeldung wäre von Anfang an"
                " geschlossen. Bitte wählen Sie heute oder ein späteres Datum."
            )


class CancelMeetingForm(PortalForm):
    reason = StringField(
        "Grund (geht an alle Angemeldeten)",
        validators=[required("Bitte geben Sie einen Grund an."), max_length(500)],
    )
