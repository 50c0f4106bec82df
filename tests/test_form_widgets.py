"""The portal's forms render WTForms' own HTML, whatever writes the attributes
(orders/forms/fields.py swaps the plain inputs for ones that write them faster)."""

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from markupsafe import Markup
from wtforms import StringField

import orders.forms
from orders.forms.fields import FAST_INPUTS, PortalForm
from tests.conftest import csrf_token

for module in pkgutil.iter_modules(orders.forms.__path__):
    importlib.import_module(f"orders.forms.{module.name}")

TYPED = "Müller & Söhne \"<script>alert('x')</script>\""


def form_classes(base=PortalForm):
    for cls in base.__subclasses__():
        yield cls
        yield from form_classes(cls)


@pytest.mark.parametrize("form_class", sorted(set(form_classes()), key=lambda c: c.__qualname__))
def test_every_plain_input_renders_what_wtforms_renders(app, form_class):
    with app.test_request_context(method="POST"):
        form = form_class(meta={"csrf": False})
        swapped = [f for f in form if any(f.widget is w for w in FAST_INPUTS.values())]
        for field in swapped:
            if isinstance(field, StringField):
                field.data = TYPED
            else:
                field.raw_data = [TYPED]
            own = type(field.widget).__mro__[1]()
            for extra in ({}, {"aria_invalid": "true", "class_": "zip", "data_hint": TYPED}):
                rendered = field(**extra)
                assert isinstance(rendered, Markup)
                assert rendered == own(field, **{**(field.render_kw or {}), **extra}), field.name
    if form_class.__name__ in {"LoginForm", "OrderForm", "InterpreterForm"}:
        assert swapped, "the form's text inputs should have been swapped"


def test_the_swap_keeps_a_widget_the_field_names_or_sets_up_differently(app):
    from wtforms import PasswordField
    from wtforms.widgets import PasswordInput, TextArea

    class ShownPasswordField(PasswordField):
        widget = PasswordInput(hide_value=False)

    class WithOwnWidgets(PortalForm):
        note = StringField(widget=TextArea())
        secret = ShownPasswordField()
        password = PasswordField()

    with app.test_request_context():
        form = WithOwnWidgets(meta={"csrf": False})
        assert type(form.note.widget) is TextArea
        assert type(form.secret.widget) is PasswordInput
        assert form.password.widget is FAST_INPUTS[PasswordInput]


def test_wtforms_own_inputs_are_the_ones_swapped():
    assert all(type(fast).__mro__[1] is own for own, fast in FAST_INPUTS.items())


POST_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
FILLED_IN = re.compile(
    r"\{\{\s*(?:field|choices)\(|<textarea|<select|<input(?![^>]*type=\"hidden\")"
)


def test_every_form_a_person_fills_in_leaves_checking_to_the_portal():
    """A browser's own check stops a form at its first problem, with a bubble in the browser's
    language that goes away; the portal's says every problem in German beside its field and
    keeps what was typed. So each POST form with a field to fill in has `novalidate`."""
    templates = Path(__file__).parent.parent / "templates"
    checked_by_the_browser = [
        f"{path.relative_to(templates)}: <form{attributes}>"
        for path in sorted(templates.rglob("*.html"))
        for attributes, body in POST_FORM.findall(path.read_text())
        if 'method="post"' in attributes
        and "novalidate" not in attributes
        and FILLED_IN.search(body)
    ]
    assert checked_by_the_browser == []


def test_a_checkbox_list_asks_for_one_box_not_for_each(app, canton):
    """«At least one language» is said once for the list: no box is marked required, and the
    error summary leads to the first box."""
    page = canton.get("/kanton/katalog/neu").text
    boxes = re.findall(r'<input id="languages-\d+"[^>]*>', page)
    assert boxes and not [box for box in boxes if "required" in box]
    sent = canton.post(
        "/kanton/katalog/neu",
        data={"csrf_token": csrf_token(canton, "/kanton/katalog/neu"), "name": "Flyer"},
    ).text
    assert '<a href="#languages-0">Sprachen: Bitte wählen Sie mindestens eine Sprache.</a>' in sent
