"""Swiss German (de-CH) formats for dates, times and amounts, the status tag of lists and the
options of list filters."""

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter
from zoneinfo import ZoneInfo

from flask import Flask
from markupsafe import Markup, escape

ZURICH = ZoneInfo("Europe/Zurich")


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local_time(value)
    return value.strftime("%d.%m.%Y")


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return local_time(value).strftime("%d.%m.%Y %H:%M")


def local_time(value: datetime) -> datetime:
    return value.astimezone(ZURICH)


def format_number(value: int | Decimal) -> str:
    """1234567 -> 1'234'567 (the Swiss thousands separator)."""
    return f"{value:,}".replace(",", "'")


def format_count(count: int, one: str, many: str) -> str:
    """(1, "Gemeinde", "Gemeinden") -> 1 Gemeinde, 1234 -> 1'234 Gemeinden"""
    return f"{format_number(count)} {one if count == 1 else many}"


def format_people(count: int) -> str:
    """1 -> 1 Person, 1234 -> 1'234 Personen"""
    return format_count(count, "Person", "Personen")


def format_chf(value: Decimal | int | None) -> str:
    """Decimal('1234.5') -> CHF 1'234.50"""
    if value is None:
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return "CHF " + f"{amount:,.2f}".replace(",", "'")


def format_amount(value: int | None) -> str:
    """123450 (centimes, as amounts are stored) -> 1'234.50, in integers: no rounding. For
    tables whose amounts are all in CHF, said once above them."""
    if value is None:
        return ""
    francs, centimes = divmod(abs(value), 100)
    sign = "-" if value < 0 else ""
    return f"{sign}{format_number(francs)}.{centimes:02d}"


def format_centimes(value: int | None) -> str:
    """123450 (centimes) -> CHF 1'234.50"""
    return "" if value is None else "CHF " + format_amount(value)


STATUS_TAG = Markup('<span class="status status-%s">%s</span>')


def status_tag(status) -> Markup:
    """An order's or an interpreter order's status as a coloured tag, the same on every page
    (`Markup %` escapes both values)."""
    return STATUS_TAG % (status.value, status.label)


def select_options(
    items: Iterable, chosen: object, value: str | None = None, label: str | None = None
) -> Markup:
    """The <option>s of a list filter's <select>, the chosen one selected. `value` and `label`
    name the items' attributes (as in Jinja's `map(attribute=…)`); without them an item is both.

    One call instead of a template loop: the inbox's filter lists all 104 municipalities, and
    Jinja's per-option work (escaping, the comparison, the output pieces) was a tenth of it."""
    chosen = "" if chosen is None else str(chosen)
    value_of = attrgetter(value) if value else None
    label_of = attrgetter(label) if label else None
    options = []
    for item in items:
        item_value = str(value_of(item) if value_of else item)
        selected = " selected" if item_value == chosen else ""
        options.append(
            f'<option value="{escape(item_value)}"{selected}>'
            f"{escape(label_of(item) if label_of else item)}</option>"
        )
    # Every value and label is escaped above.
    return Markup("".join(options))  # noqa: S704  # nosec B704


# An address as people paste it into a text: up to the next space or angle bracket, without
# the punctuation that ends the sentence around it; brackets only in pairs («…/Olten_(SO)»),
# so that one closing a remark around the address stays outside it.
_PAIRED = r"\([^\s<>\"()]*\)"
WEB_ADDRESS = re.compile(rf"https?://(?:{_PAIRED}|[^\s<>\"()])*(?:{_PAIRED}|[^\s<>\"().,;:!?»'])")
LINK = Markup('<a href="{0}">{0}</a>')


def with_links(text: str) -> Markup:
    """A plain text (an infomail) escaped, its web addresses as links."""
    pieces, shown = [], 0
    for address in WEB_ADDRESS.finditer(text):
        pieces += [escape(text[shown : address.start()]), LINK.format(address.group(0))]
        shown = address.end()
    return Markup("").join([*pieces, escape(text[shown:])])


def german_sort_key(text: str) -> str:
    """Sort Bärschwil with Barschwil, not after Zuchwil (databases sort bytes by default)."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def init_app(app: Flask) -> None:
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_number, "number")
    app.add_template_filter(format_count, "counted")
    app.add_template_filter(format_people, "people")
    app.add_template_filter(format_chf, "chf")
    app.add_template_filter(format_centimes, "centimes")
    app.add_template_filter(format_amount, "amount")
    app.add_template_filter(status_tag, "status_tag")
    app.add_template_filter(with_links, "with_links")
    app.add_template_global(select_options)
