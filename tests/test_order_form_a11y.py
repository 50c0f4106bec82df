"""The order forms for a screen reader and a keyboard: every quantity named with its article,
the error summary focused after a failed submit, the maximum said the same way in the hint and
in the error; counts of people with the Swiss thousands separator."""

import re
from html.parser import HTMLParser

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from orders.extensions import db
from orders.models import CatalogueItem, Language, SelfDeclaration
from tests.conftest import PASSWORD, log_in, make_user
from tests.test_berichte import last_year, post_declaration
from tests.test_bestellungen import FORM, item_id, submit

FOLDER_FORM = "/gemeinde/2581/bestellungen/neu/mappen"
FOLDER = "Abgefüllte Erstinformationsmappe"


class QuantityInputs(HTMLParser):
    """Per quantity input (qty__…): its label's whole text, hidden parts included (what a
    screen reader reads as its name), and the legends of the fieldsets around it."""

    def __init__(self):
        super().__init__()
        self.labels: dict[str, str] = {}
        self.inputs: dict[str, list[str]] = {}
        self._legends: list[str] = []  # one per open fieldset
        self._label_for: str | None = None
        self._in_legend = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "fieldset":
            self._legends.append("")
        elif tag == "legend":
            self._in_legend = True
        elif tag == "label" and attrs.get("for"):
            self._label_for = attrs["for"]
            self.labels[self._label_for] = ""
        elif tag == "input" and (attrs.get("name") or "").startswith("qty__"):
            self.inputs[attrs["id"]] = [" ".join(legend.split()) for legend in self._legends]

    def handle_endtag(self, tag):
        if tag == "fieldset":
            self._legends.pop()
        elif tag == "legend":
            self._in_legend = False
        elif tag == "label":
            self._label_for = None

    def handle_data(self, data):
        if self._in_legend:
            self._legends[-1] += data
        if self._label_for:
            self.labels[self._label_for] += data


def quantity_inputs(page: str) -> QuantityInputs:
    parser = QuantityInputs()
    parser.feed(page)
    return parser


def article_and_language(input_id: str) -> tuple[str, str]:
    _prefix, item, code = input_id.split("__")
    language = db.session.get(Language, code).name
    if item == "mappe":
        return FOLDER, language
    return db.session.get(CatalogueItem, int(item)).name, language


def test_every_quantity_input_is_named_with_its_article(clerk):
    page = clerk.get(FORM).get_data(as_text=True)
    found = quantity_inputs(page)
    assert len(found.inputs) > 20  # the folder's languages and every item's
    for input_id, legends in found.inputs.items():
        article, language = article_and_language(input_id)
        name = " ".join(found.labels[input_id].split())
        assert name == f"{article}, {language}", input_id
        # The article's inputs are a group of their own, its legend the article.
        assert legends[-1].startswith(article), (input_id, legends)
    folders = quantity_inputs(clerk.get(FOLDER_FORM).get_data(as_text=True))
    assert list(folders.inputs) == [
        "qty__mappe__de",
        "qty__mappe__fr",
        "qty__mappe__it",
        "qty__mappe__en",
    ]
    for input_id, legends in folders.inputs.items():
        assert " ".join(folders.labels[input_id].split()).startswith(f"{FOLDER}, "), input_id
        assert legends == ["Anzahl Mappen pro Sprache"]


def test_the_error_summary_names_the_article_and_the_language(clerk):
    letter = item_id("Willkommensbrief")
    page = submit(clerk, **{"qty__mappe__de": "501", f"qty__{letter}__en": "201"}).get_data(
        as_text=True
    )
    summary = page[page.index('class="error-summary"') : page.index("</ul>")]
    assert f'<a href="#qty__mappe__de">{FOLDER}, Deutsch: Höchstens 500' in summary
    assert f'<a href="#qty__{letter}__en">Willkommensbrief, Englisch: Höchstens 200' in summary


LIMIT = re.compile(r"[Hh]öchstens (\S+) (?:Stück )?pro ([^<.]+)")


def hint_limit(page: str, hint_of: str) -> tuple[str, str]:
    """The maximum (number, per what) in the hint of the group `hint_of` (the article, or the
    folder form's fieldset)."""
    group = page[page.index(hint_of) :]
    hint = re.search(r'<p class="hint"[^>]*>([^<]*)</p>', group).group(1)
    return LIMIT.search(hint).groups()


def error_limit(page: str, field: str) -> tuple[str, str]:
    error = re.search(rf'<p class="error-message" id="{field}-error">(.*?)</p>', page).group(1)
    return LIMIT.search(error).groups()


@pytest.mark.parametrize(
    "url, field, hint_of, too_many",
    [
        (FORM, "letter", "<h2>Willkommensbrief", "201"),
        (FORM, "qty__mappe__de", f"<h2>{FOLDER}", "501"),
        (FOLDER_FORM, "qty__mappe__de", "<legend>Anzahl Mappen pro Sprache", "501"),
    ],
)
def test_the_hint_and_the_error_say_the_same_maximum(clerk, url, field, hint_of, too_many):
    """The rule is per field, that is per article and language of one order; the hint must
    not say «per language» while the error says «per order»."""
    if field == "letter":
        field = f"qty__{item_id('Willkommensbrief')}__en"
    hint = hint_limit(clerk.get(url).get_data(as_text=True), hint_of)
    page = submit(clerk, url=url, **{field: too_many}).get_data(as_text=True)
    assert error_limit(page, field) == hint
    assert hint == (str(int(too_many) - 1), "Sprache und Bestellung")
    assert hint_limit(page, hint_of) == hint  # the page with the error says it again


def test_a_count_of_people_has_the_thousands_separator(app, olten_user, kanton_user):
    clerk = app.test_client()
    log_in(clerk, "clerk@olten.ch")
    year = last_year()
    draft = post_declaration(clerk, action="save", year=year, foreign_residents="1234")
    assert draft.status_code == 303
    form = clerk.get(f"/gemeinde/2581/selbstdeklaration/{year}").get_data(as_text=True)
    assert 'value="1234"' in form  # the input keeps the plain number
    response = post_declaration(clerk, year=year, foreign_residents="1234")
    assert response.status_code == 303
    assert db.session.scalar(select(SelfDeclaration)).data["foreign_residents"] == 1234
    residents = "<dt>Ausländische Einwohnerinnen und Einwohner am 31. Dezember</dt>"
    receipt = clerk.get(response.headers["Location"]).get_data(as_text=True)
    assert f"{residents}<dd>1&#39;234</dd>" in receipt  # autoescaped: 1'234
    canton = app.test_client()
    log_in(canton, "koordination@kanton.ch")
    detail = canton.get(f"/kanton/berichte/selbstdeklarationen/2581/{year}").get_data(as_text=True)
    assert "<td>1&#39;234</td>" in detail and "<td>1234</td>" not in detail


@pytest.mark.browser
def test_after_a_failed_submit_the_error_summary_has_the_focus(live_server, page):
    make_user("clerk@olten.ch", 2581, name="Clara Clerk")
    page.goto(f"{live_server}/anmelden")
    page.get_by_label("E-Mail-Adresse").fill("clerk@olten.ch")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Gemeinde Olten")).to_be_visible()
    page.goto(f"{live_server}/gemeinde/2581/bestellungen/neu/material")
    # Chromium's own accessible names: the article and the language.
    expect(page.get_by_role("textbox", name="Willkommensbrief, Französisch")).to_have_count(1)
    expect(page.locator("#qty__mappe__de")).to_have_accessible_name(f"{FOLDER}, Deutsch")
    page.locator("#qty__mappe__de").fill("501")
    # A number input would send nothing for «2,5», and the quantity would silently be none.
    page.locator("#qty__mappe__fr").fill("2,5")
    page.get_by_label("Strasse und Nr. oder Postfach").fill("Dornacherstrasse 1")
    page.get_by_role("button", name="Weiter zur Kontrolle").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    expect(summary.get_by_role("link")).to_have_text(
        [
            f"{FOLDER}, Deutsch: Höchstens 500 Stück pro Sprache und Bestellung.",
            f"{FOLDER}, Französisch: Bitte geben Sie eine ganze Zahl ein, z. B. 10.",
        ]
    )
    expect(page.locator("#qty__mappe__fr")).to_have_value("2,5")
    # Its link still leads to the field.
    summary.get_by_role("link").first.click()
    expect(page.locator("#qty__mappe__de")).to_be_focused()
