"""Order forms: welcome folders (a quantity per language) and materials (a basket).

Quantity fields are created per request from the languages and the catalogue, so the canton
can add languages and items without a code change.
"""

from wtforms import DateField, EmailField, HiddenField, StringField, TextAreaField
from wtforms.validators import Optional, Regexp, ValidationError

from orders.formatting import format_number, local_time
from orders.forms.fields import (
    PortalForm,
    WholeNumberField,
    email_address,
    max_length,
    phone_number,
    required,
)
from orders.models import CatalogueItem, Language
from orders.models.catalogue import WELCOME_FOLDER_NAME
from orders.models.types import utcnow


class QuantityField(WholeNumberField):
    """A quantity; an empty field orders none."""

    empty_value = 0


def limit_text(maximum: int, first: bool = False) -> str:
    """The rule a quantity field enforces, in the same words in the form's hint and in the
    error: a field is one article in one language of one order. `first`: it begins a sentence."""
    return (
        f"{'H' if first else 'h'}öchstens {format_number(maximum)} Stück pro Sprache und Bestellung"
    )


class QuantityRange:
    def __init__(self, maximum: int):
        self.maximum = maximum

    def __call__(self, form, field):
        if field.data is None:
            return
        if field.data < 0:
            raise ValidationError("Die Menge darf nicht negativ sein.")
        if field.data > self.maximum:
            raise ValidationError(limit_text(self.maximum, first=True) + ".")


class SwissDateField(DateField):
    """A date from the browser's date picker (ISO) or typed the Swiss way (24.11.2026)."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format=["%Y-%m-%d", "%d.%m.%Y"], **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Bitte geben Sie ein gültiges Datum ein, z. B. 24.11.2026.") from None


def not_in_past(form, field):
    if field.data and field.data < local_time(utcnow()).date():
        raise ValidationError(
            "Das Datum liegt in der Vergangenheit. Bitte wählen Sie heute oder ein späteres Datum."
        )


class OrderForm(PortalForm):
    """What every order has besides its quantities."""

    submission_key = HiddenField()
    delivery_recipient = StringField(
        "Empfänger (Gemeinde, Abteilung)",
        validators=[required("Bitte geben Sie den Empfänger an."), max_length(200)],
    )
    delivery_street = StringField(
        "Strasse und Nr. oder Postfach",
        validators=[required("Bitte geben Sie Strasse und Hausnummer an."), max_length(200)],
    )
    delivery_zip = StringField(
        "PLZ",
        validators=[
            required("Bitte geben Sie die Postleitzahl an."),
            # Swiss postcodes run from 1000 to 9999; [0-9], as \d would take other scripts' digits.
            Regexp(
                r"^\s*[1-9][0-9]{3}\s*$", message="Die Postleitzahl hat vier Ziffern, z. B. 4500."
            ),
        ],
    )
    delivery_town = StringField(
        "Ort", validators=[required("Bitte geben Sie den Ort an."), max_length(100)]
    )
    contact_name = StringField(
        "Kontaktperson",
        validators=[required("Bitte geben Sie eine Kontaktperson an."), max_length(200)],
    )
    contact_email = EmailField(
        "E-Mail der Kontaktperson",
        validators=[
            required("Bitte geben Sie eine E-Mail-Adresse an."),
            email_address(),
            max_length(254),
        ],
    )
    contact_phone = StringField(
        "Telefon der Kontaktperson (freiwillig)", validators=[max_length(50), phone_number]
    )
    desired_date = SwissDateField(
        "Gewünschter Liefertermin (freiwillig)", validators=[Optional(), not_in_past]
    )
    remarks = TextAreaField("Bemerkungen (freiwillig)", validators=[max_length(2000)])

    # Set by the builders below: (field name, item or None, language) per quantity field.
    quantity_fields: list[tuple[str, CatalogueItem | None, Language]] = []
    folder_maximum = 0
    folder_name = WELCOME_FOLDER_NAME
    limit_text = staticmethod(limit_text)

    def __iter__(self):
        """The fields in the page's order, quantities first: built after this class's own
        fields, they would otherwise come last, e.g. in the list of problems above the form."""
        names = [name for name, _item, _language in self.quantity_fields]
        yield from (self[name] for name in names)
        quantities = set(names)
        yield from (field for field in super().__iter__() if field.name not in quantities)

    def validate(self, extra_validators=None) -> bool:
        """Every field's own checks, and at least one quantity: said together with the other
        problems, not after they are fixed. A quantity that could not be read has its own
        message and is not called missing."""
        valid = super().validate(extra_validators)
        quantities = [self[name] for name, _item, _language in self.quantity_fields]
        if not any(field.data or field.errors for field in quantities):
            self.form_errors.append("Bitte geben Sie bei mindestens einer Position eine Menge ein.")
            return False
        return valid

    def quantity_groups(self) -> list[tuple[CatalogueItem | None, list[tuple[str, Language]]]]:
        """The quantity fields grouped by item (None: the welcome folder), in form order."""
        groups: dict = {}
        for name, item, language in self.quantity_fields:
            groups.setdefault(item.id if item else None, (item, []))[1].append((name, language))
        return list(groups.values())

    def quantities(self) -> list[tuple[CatalogueItem | None, Language, int]]:
        return [
            (item, language, self[name].data)
            for name, item, language in self.quantity_fields
            if self[name].data
        ]


def quantity_field_name(item: CatalogueItem | None, language: Language) -> str:
    return f"qty__{item.id if item else 'mappe'}__{language.code}"


def quantity_field_parts(name: str) -> tuple[str, str]:
    """(item id or «mappe», language code) as quantity_field_name wrote them into the name;
    empty where a posted name has fewer parts."""
    _prefix, item_key, code, *_rest = [*name.split("__"), "", ""]
    return item_key, code


def folder_form_class(languages: list[Language], maximum: int) -> type[OrderForm]:
    """Filled welcome folders only: a quantity per language."""
    fields, quantity_fields = _folder_fields(languages, maximum)
    fields["quantity_fields"] = quantity_fields
    return type("FolderOrderForm", (OrderForm,), fields)


def _folder_fields(languages: list[Language], maximum: int):
    # The label names the article too: the error summary shows it before the message.
    fields = {"folder_maximum": maximum}
    quantity_fields = []
    for language in languages:
        name = quantity_field_name(None, language)
        fields[name] = QuantityField(
            f"{WELCOME_FOLDER_NAME}, {language.name}",
            validators=[QuantityRange(maximum)],
            default=None,  # empty: nothing to delete before typing
        )
        quantity_fields.append((name, None, language))
    return fields, quantity_fields


def material_form_class(
    items: list[CatalogueItem], folder_languages: list[Language], folder_maximum: int
) -> type[OrderForm]:
    """The basket: filled welcome folders and any catalogue items, in one order."""
    fields, quantity_fields = _folder_fields(folder_languages, folder_maximum)
    for item in items:
        for language in item.languages:
            name = quantity_field_name(item, language)
            fields[name] = QuantityField(
                f"{item.name}, {language.name}",
                validators=[QuantityRange(item.max_quantity)],
                default=None,
            )
            quantity_fields.append((name, item, language))
    fields["quantity_fields"] = quantity_fields
    return type("MaterialOrderForm", (OrderForm,), fields)
