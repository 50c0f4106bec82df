"""Shared pieces for forms: German messages and a base form."""

import re
from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import (
    IntegerField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, ValidationError
from wtforms.widgets.core import clean_key


class PortalForm(FlaskForm):
    """Base for the portal's forms."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            """Fields whose widget is one of WTForms' plain inputs, with its default settings,
            get the same input with its attributes written by `_html_params` (same HTML, a
            fraction of the time); a field naming a widget of its own keeps it."""
            default = getattr(unbound_field.field_class, "widget", None)
            fast = FAST_INPUTS.get(type(default))
            if (
                fast is not None
                and "widget" not in unbound_field.kwargs
                and vars(fast) == vars(default)
            ):
                options = {**options, "widget": fast}
            return super().bind_field(form, unbound_field, options)

    def show_problems(self, problems) -> None:
        """Put the problems a service's rules found (each with a `field` name, or None) beside
        their fields, or above the form for none; a field that already has a message from the
        form's own validation keeps only that one, so nothing is said twice."""
        own = {field.name for field in self if field.errors}
        for problem in problems:
            if problem.field in own:
                continue
            if problem.field and problem.field in self:
                self[problem.field].errors = [*self[problem.field].errors, str(problem)]
            else:
                self.form_errors.append(str(problem))


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
        # Mail servers without SMTPUTF8 cannot take umlauts before the @ (the domain is fine).
        allow_smtputf8=False,
    )


# A phone number as people in Switzerland write it (032 627 23 45, +41 32 627 23 45,
# 0041 (0)32 627 23 45, 062/206.11.11): digits with spaces, brackets, slashes, dots or
# hyphens, a + only in front; 9 to 16 digits. A remark in brackets may follow
# («062 206 11 11 (direkt)»), as numbers kept in the portal before this rule have it.
WRITTEN_PHONE = re.compile(r"\+?[0-9][0-9 ()/.\-]*")
PHONE_REMARK = re.compile(r"\s*\([^()0-9]*\)\s*$")
PHONE_DIGITS = range(9, 17)


def phone_number(form, field) -> None:
    """A validator: the field holds a phone number, or nothing (a required field says so)."""
    value = PHONE_REMARK.sub("", (field.data or "").strip())
    digits = sum(character.isdigit() for character in value)
    if value and not (WRITTEN_PHONE.fullmatch(value) and digits in PHONE_DIGITS):
        raise ValidationError("Bitte geben Sie eine Telefonnummer an, z. B. 032 627 23 45.")


def optional_int(value) -> int | None:
    """Coerce a select's value: the empty choice means None."""
    return int(value) if value not in (None, "", "None") else None


# Thousands separators a person may type in a number (apostrophes), and spaces.
THOUSANDS_SEPARATORS = str.maketrans("", "", "'’ \t\u00a0\u202f")


def _html_params(**kwargs) -> Markup:
    """WTForms' `html_params` with the same output (sorted attributes, True as a bare flag,
    False left out), joined as plain strings.

    WTForms formats every attribute through `Markup.format`, i.e. Python's string.Formatter:
    with the dozens of quantity fields of an order form that was most of the page's time, and
    ~50 µs per text field (profiled with bench/profile.py)."""
    params = []
    for key, value in sorted(kwargs.items()):
        if value is True:
            params.append(clean_key(key))
        elif value is not False:
            params.append(f'{clean_key(key)}="{escape(value)}"')
    # Every value is escaped above: safe to mark as HTML.
    return Markup(" ".join(params))  # noqa: S704  # nosec B704


def _writing_attributes_fast(widget_class: type):
    """One instance, shared by every field like WTForms' own class-level widgets."""
    fast_class = type(
        widget_class.__name__, (widget_class,), {"html_params": staticmethod(_html_params)}
    )
    return fast_class()


# WTForms' plain inputs and their counterparts: the counterpart renders what the field's own
# widget would when that one has the default settings (PortalForm.Meta checks).
FAST_INPUTS = {
    widget_class: _writing_attributes_fast(widget_class)
    for widget_class in (
        widgets.TextInput,
        widgets.EmailInput,
        widgets.PasswordInput,
        widgets.HiddenInput,
        widgets.DateInput,
        widgets.TimeInput,
        widgets.NumberInput,
        widgets.CheckboxInput,
    )
}


class WholeNumberField(IntegerField):
    """A whole number, typed in a text input that brings up the numeric keypad (inputmode).

    Not a number input: for «1e» or «2,5» that sends nothing at all, so a mistyped quantity
    would silently be none, and its own checks speak the browser's language. A text input sends
    what was typed: shown again with a German message when it is no whole number. Thousands
    separators (1'000) are read. Empty gives `empty_value`.
    """

    widget = widgets.TextInput()
    empty_value: int | None = None

    def __init__(self, *args, render_kw=None, **kwargs):
        super().__init__(*args, render_kw={"inputmode": "numeric", **(render_kw or {})}, **kwargs)

    def process_formdata(self, valuelist):
        text = valuelist[0].translate(THOUSANDS_SEPARATORS) if valuelist else ""
        if not text:
            self.data = self.empty_value
            return
        try:
            self.data = int(text)
        except ValueError:
            self.data = None
            raise ValueError("Bitte geben Sie eine ganze Zahl ein, z. B. 10.") from None


class NumberRange:
    """Like WTForms' NumberRange, but silent when the field could not be read as a number
    (that field already says so)."""

    def __init__(self, min: int, max: int, message: str):
        self.min, self.max, self.message = min, max, message

    def __call__(self, form, field):
        if field.data is not None and not self.min <= field.data <= self.max:
            raise ValidationError(self.message)


class FrancField(StringField):
    """An amount of francs as typed in Switzerland (200, 9.50, 9,50, 1'000.–), kept as integer
    centimes; what was typed is shown again with a German message when it is no amount."""

    MESSAGE = "Bitte geben Sie einen Betrag in Franken ein, z. B. 200 oder 9.50."

    def process_formdata(self, valuelist):
        self.data = None
        typed = valuelist[0] if valuelist else ""
        text = typed.strip().removeprefix("CHF")
        text = text.translate(THOUSANDS_SEPARATORS).replace(",", ".").removesuffix(".–")
        if not text:
            return
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError(self.MESSAGE) from None
        if not amount.is_finite():
            raise ValueError(self.MESSAGE)
        if amount != amount.quantize(Decimal("0.01")):
            raise ValueError("Bitte höchstens zwei Stellen nach dem Punkt (Rappen) angeben.")
        self.data = int(amount * 100)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, int):  # centimes
            return f"{Decimal(self.data) / 100:.2f}"
        return self.data or ""


class CheckboxListField(SelectMultipleField):
    """A choice of several as a list of checkboxes. «At least one» is the list's rule, not each
    box's: no box carries `required` (a screen reader would call every one of them mandatory,
    and a browser checking the form would ask for all)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __iter__(self):
        for option in super().__iter__():
            option.flags.required = False
            yield option


def audience_field(label: str, everyone: str, message: str) -> RadioField:
    """Everyone, or the municipalities of the Bezirke chosen in a `bezirke` field beside it
    (the audience of an infomail, the invited of a network meeting); see BezirkeAudience."""
    return RadioField(
        label,
        choices=[
            SelectChoice("alle", everyone),
            SelectChoice("bezirke", "Nur die Gemeinden ausgewählter Bezirke"),
        ],
        default="alle",
        validators=[input_required(message)],
    )


class BezirkeAudience:
    """For a form with an `audience_field` named audience and a CheckboxListField bezirke."""

    def validate_bezirke(self, field):
        if self.audience.data == "bezirke" and not field.data:
            raise ValidationError("Bitte wählen Sie mindestens einen Bezirk.")

    @property
    def chosen_bezirke(self) -> list[str]:
        """The Bezirke chosen; none for everyone."""
        return list(self.bezirke.data or []) if self.audience.data == "bezirke" else []
