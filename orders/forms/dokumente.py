"""Forms of the document library and the infomails."""

from flask_wtf.file import FileField
from wtforms import (
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional, ValidationError

from orders.forms.fields import (
    BezirkeAudience,
    CheckboxListField,
    PortalForm,
    audience_field,
    max_length,
    optional_int,
    required,
)
from orders.services.uploads import ACCEPTED


def file_required(form, field):
    if not field.data or not getattr(field.data, "filename", ""):
        raise ValidationError(f"Bitte wählen Sie eine Datei: {ACCEPTED}, höchstens 25 MB.")


class DocumentFields(PortalForm):
    title = StringField(
        "Titel", validators=[required("Bitte geben Sie einen Titel ein."), max_length(200)]
    )
    description = TextAreaField(
        "Beschreibung", validators=[max_length(2000)], render_kw={"rows": 4}
    )
    chapter = SelectField(
        "Kapitel",
        coerce=optional_int,
        validators=[required("Bitte wählen Sie ein Kapitel.")],
    )


class NewDocumentForm(DocumentFields):
    language = SelectField(
        "Sprache der Datei", validators=[required("Bitte wählen Sie die Sprache der Datei.")]
    )
    file = FileField("Datei", validators=[file_required])


class VersionForm(PortalForm):
    language = SelectField(
        "Sprache", validators=[required("Bitte wählen Sie die Sprache der Datei.")]
    )
    file = FileField("Datei", validators=[file_required])


class InfomailForm(BezirkeAudience, PortalForm):
    subject = StringField(
        "Betreff", validators=[required("Bitte geben Sie einen Betreff ein."), max_length(200)]
    )
    body = TextAreaField(
        "Text",
        validators=[required("Bitte schreiben Sie die Nachricht."), max_length(20000)],
        render_kw={"rows": 12},
    )
    audience = audience_field(
        "Empfängerinnen und Empfänger",
        "Alle aktiven Gemeinde-Benutzerinnen und -Benutzer",
        "Bitte wählen Sie, an wen die Infomail geht.",
    )
    bezirke = CheckboxListField("Bezirke")
    documents = SelectMultipleField(
        "Links auf Dokumente (optional)", validators=[Optional()], render_kw={"size": 8}
    )

    submission_key = HiddenField()
