"""Back-office forms for orders and the catalogue."""

from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from orders.forms.fields import (
    CheckboxListField,
    NumberRange,
    PortalForm,
    WholeNumberField,
    input_required,
    max_length,
    optional_int,
    required,
)
from orders.models import OrderStatus
from orders.services.bestellungen import NOTIFY_ORDERER


class StatusForm(PortalForm):
    # Chosen, never preset: a status may send the orderer a mail.
    status = SelectField(
        "Neuer Status",
        validate_choice=True,
        validators=[required("Bitte wählen Sie den neuen Status.")],
    )
    note = TextAreaField(
        "Bemerkung (geht bei "
        + " und ".join(f"«{status.label}»" for status in OrderStatus if status in NOTIFY_ORDERER)
        + " per E-Mail an die bestellende Person; bei einer Stornierung der Grund)",
        validators=[max_length(1000)],
    )


class CatalogueItemForm(PortalForm):
    name = StringField(
        "Bezeichnung",
        validators=[required("Bitte geben Sie eine Bezeichnung ein."), max_length(200)],
    )
    category = StringField("Kategorie", validators=[max_length(100)])
    description = TextAreaField("Beschreibung", validators=[max_length(2000)])
    max_quantity = WholeNumberField(
        "Höchstmenge pro Bestellung und Sprache",
        validators=[
            input_required("Bitte geben Sie eine Höchstmenge ein."),
            NumberRange(min=1, max=100000, message="Bitte eine Zahl von 1 bis 100'000."),
        ],
    )
    languages = CheckboxListField(
        "Sprachen", validators=[required("Bitte wählen Sie mindestens eine Sprache.")]
    )
    municipality = SelectField(
        "Nur für Gemeinde (gemeindespezifische Beilage)",
        coerce=optional_int,
        validators=[Optional()],
    )
    active = BooleanField("Bestellbar (deaktivierte Artikel bleiben in alten Bestellungen)")
