"""The document library: uploads checked by content, downloads for logged-in users only, hidden
documents, search and language filter, the "Neu" marker, infomails through the outbox."""

import io
import zipfile
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from orders.extensions import db
from orders.models import (
    AuditEvent,
    Chapter,
    Document,
    DocumentVersion,
    DocumentVisit,
    Infomail,
    Language,
    OutboxMail,
)
from orders.services import dokumente, outbox
from orders.services.demo_library import minimal_pdf, seed_demo_library
from orders.services.uploads import MAX_UPLOAD_BYTES, UploadError, check_upload, safe_filename
from tests.conftest import csrf_token, log_in, make_app, make_user, post_form, text_body

# A Windows executable starts with "MZ"; the rest does not matter to the check.
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def pdf(text: str = "Einladung") -> bytes:
    return minimal_pdf(text, ["Sprachfassung für einen Test"])


def office_zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def docx() -> bytes:
    return office_zip(
        {
            "[Content_Types].xml": b"<Types/>",
            "word/document.xml": b"<w:document/>",
        }
    )


def xlsx() -> bytes:
    return office_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})


def odt() -> bytes:
    return office_zip(
        {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}
    )


@pytest.fixture
def chapters(app) -> dict[str, Chapter]:
    dokumente.seed_chapters()
    return {c.key: c for c in db.session.scalars(select(Chapter))}


@pytest.fixture
def canton(canton, chapters):
    """Here the canton works in a library with its chapters."""
    return canton


def upload(
    canton,
    *,
    title="Einladungsbrief zum Erstinformationsgespräch",
    description="",
    chapter="1.3",
    language="de",
    filename="Einladung.pdf",
    data: bytes | None = None,
):
    chapter_id = db.session.scalar(select(Chapter.id).where(Chapter.key == chapter))
    return post_form(
        canton,
        "/kanton/dokumente/neu",
        {
            "title": title,
            "description": description,
            "chapter": str(chapter_id),
            "language": language,
            "file": (io.BytesIO(pdf() if data is None else data), filename),
        },
    )


def add_version(canton, document_id: int, language: str, filename: str, data: bytes):
    return post_form(
        canton,
        f"/kanton/dokumente/{document_id}/versionen",
        {"version-language": language, "version-file": (io.BytesIO(data), filename)},
        form_url=f"/kanton/dokumente/{document_id}",
    )


def document_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Document))


# --- uploads --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "label"),
    [
        (pdf(), "brief.pdf", "PDF"),
        (docx(), "brief.docx", "Word"),
        (xlsx(), "liste.xlsx", "Excel"),
        (odt(), "brief.odt", "ODT"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "bild.png", "Bild (PNG)"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "foto.jpg", "Bild (JPEG)"),
        (b"GIF89a" + b"\x00" * 20, "bild.gif", "Bild (GIF)"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 20, "bild.webp", "Bild (WebP)"),
    ],
)
def test_accepted_formats_are_recognised_by_content(data, name, label):
    assert check_upload(name, data).file_type.label == label


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (EXECUTABLE, "Einladung.pdf"),
        (b"#!/bin/sh\nrm -rf /\n", "Einladung.pdf"),
        (b"<html><script>alert(1)</script></html>", "brief.docx"),
        (office_zip({"evil.exe": EXECUTABLE}), "brief.docx"),  # a ZIP, but no Word file
        (b"PK\x03\x04 broken", "liste.xlsx"),
        (b"", "leer.pdf"),
    ],
)
def test_files_that_are_none_of_the_formats_are_refused(data, name):
    with pytest.raises(UploadError):
        check_upload(name, data)


def test_a_renamed_executable_with_a_pdf_name_is_refused_with_a_clear_message(canton):
    response = upload(canton, filename="Einladung.pdf", data=EXECUTABLE)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Diese Datei kann nicht hochgeladen werden. Erlaubt sind: PDF" in page
    assert 'id="file-error"' in page  # beside the field
    assert document_count() == 0


@pytest.mark.parametrize(
    "entries",
    [
        {"word/document.xml": b"<w:document/>", "word/vbaProject.bin": b"\xd0\xcf"},
        {"xl/workbook.xml": b"<workbook/>", "xl/vbaProject.bin": b"\xd0\xcf"},
    ],
)
def test_office_files_with_macros_are_refused_whatever_their_name(entries):
    """OWASP ASVS 4.0.3 V12.2.1: a .docm/.xlsm renamed to .docx/.xlsx carries macros."""
    with pytest.raises(UploadError):
        check_upload("Vorlage.docx", office_zip({"[Content_Types].xml": b"<Types/>", **entries}))


def test_a_file_whose_name_does_not_match_its_content_is_refused(canton):
    page = upload(canton, filename="Liste.xlsx", data=pdf()).get_data(as_text=True)
    assert "Die Datei heisst «.xlsx», ist aber nach ihrem Inhalt PDF." in page
    assert document_count() == 0


def test_an_oversized_file_is_refused(canton):
    too_big = pdf() + b"\x00" * (MAX_UPLOAD_BYTES + 1 - len(pdf()))
    page = upload(canton, data=too_big).get_data(as_text=True)
    assert "Die Datei ist zu gross: höchstens 25 MB." in page
    assert document_count() == 0


def test_a_request_beyond_the_limit_gets_a_german_page_not_a_bare_error(canton):
    huge = pdf() + b"\x00" * (27 * 1024 * 1024)
    response = upload(canton, data=huge)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "Datei zu gross" in page and "höchstens 25 MB" in page
    assert document_count() == 0


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("../../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\Windows\\System32\\Begrüssungsbrief.pdf", "Begrüssungsbrief.pdf"),
        ("/var/www/../.htaccess.pdf", "htaccess.pdf"),
        ('Brief <an> "alle" | Gemeinden?.pdf', "Brief_an_alle_Gemeinden_.pdf"),
        ("....pdf", "pdf"),
        ("Einladung\x00.pdf", "Einladung.pdf"),
    ],
)
def test_safe_filename_drops_folders_and_odd_characters(given, stored):
    assert safe_filename(given) == stored


def test_a_path_traversal_file_name_is_neutralised_on_upload(canton, clerk):
    response = upload(canton, filename="../../../../etc/cron.d/Einladung Tigrinya.pdf")
    assert response.status_code == 303
    version = db.session.scalar(select(DocumentVersion))
    assert version.filename == "Einladung_Tigrinya.pdf"
    download = clerk.get(f"/dokumente/datei/{version.id}")
    assert "/" not in download.headers["Content-Disposition"].split("filename", 1)[1]
    # A name that is only a path still gets a usable name with the right ending.
    check = check_upload("../../", pdf())
    assert check.filename == "dokument.pdf"


# --- the canton's library work ------------------------------------------------------------------


def test_canton_uploads_adds_languages_replaces_keeps_history_moves_and_hides(
    canton, chapters, kanton_user
):
    response = upload(canton, filename="Einladungsbrief_de.pdf")
    assert response.status_code == 303
    document = db.session.scalar(select(Document))
    assert response.headers["Location"] == f"/kanton/dokumente/{document.id}"

    assert add_version(
        canton, document.id, "ti", "Einladungsbrief_ti.docx", docx()
    ).status_code == (303)
    assert (
        add_version(
            canton, document.id, "de", "Einladungsbrief_de_2026.pdf", pdf("neu")
        ).status_code
        == 303
    )
    db.session.expire_all()
    current = {v.language_code: v for v in document.current_versions}
    assert current["de"].filename == "Einladungsbrief_de_2026.pdf"
    assert current["ti"].format == "Word"
    [old] = document.superseded_versions
    assert old.filename == "Einladungsbrief_de.pdf" and old.replaced_by is current["de"]
    page = canton.get(f"/kanton/dokumente/{document.id}").get_data(as_text=True)
    assert "Verlauf (ersetzte Dateien)" in page and "Einladungsbrief_de.pdf" in page
    # The old file is still there, byte for byte, for the canton; Gemeinden get the current one.
    assert canton.get(f"/dokumente/datei/{old.id}").data == pdf()
    make_user("clerk@olten.ch", 2581)
    clerk = canton.application.test_client()
    log_in(clerk, "clerk@olten.ch")
    # A link to the replaced file (from an earlier mail, say) leads to the document.
    replaced = clerk.get(f"/dokumente/datei/{old.id}")
    assert replaced.location == f"/dokumente/{document.id}"
    assert "durch eine neuere Fassung ersetzt" in clerk.get(replaced.location).text
    assert clerk.get(f"/dokumente/datei/{current['de'].id}").data == pdf("neu")

    # A wrong file for a version: the message beside the field, nothing stored.
    refused = add_version(canton, document.id, "fr", "brief.pdf", EXECUTABLE)
    assert refused.status_code == 422
    assert 'id="version-file-error"' in refused.get_data(as_text=True)

    # Move to another chapter.
    moved = post_form(
        canton,
        f"/kanton/dokumente/{document.id}",
        {
            "title": document.title,
            "description": "Vorlage, in 30 Sprachen",
            "chapter": str(chapters["1.2"].id),
        },
    )
    assert moved.status_code == 303
    db.session.expire_all()
    assert db.session.get(Document, document.id).chapter.key == "1.2"

    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"document.create", "document.version", "document.update"} <= actions
    assert db.session.scalar(select(func.count()).select_from(DocumentVersion)) == 3


def test_a_gemeinde_user_cannot_upload(clerk, chapters):
    token = csrf_token(clerk, "/dokumente")
    response = clerk.post(
        "/kanton/dokumente/neu",
        data={"csrf_token": token, "title": "x", "file": (io.BytesIO(pdf()), "x.pdf")},
    )
    assert response.status_code == 404
    assert document_count() == 0


# --- downloads ------------------------------------------------------------------------------------


def test_a_download_without_login_is_refused(app, canton):
    upload(canton)
    version = db.session.scalar(select(DocumentVersion))
    anonymous = app.test_client()
    response = anonymous.get(f"/dokumente/datei/{version.id}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/anmelden")
    assert b"%PDF" not in response.data
    assert anonymous.get("/dokumente").status_code == 302


def test_a_logged_in_user_downloads_the_file_with_its_name_and_safe_headers(canton, clerk):
    upload(canton, filename="Begrüssungsbrief Tigrinya.pdf", language="ti")
    version = db.session.scalar(select(DocumentVersion))
    response = clerk.get(f"/dokumente/datei/{version.id}")
    assert response.status_code == 200
    assert response.data == pdf()
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" + quote("Begrüssungsbrief_Tigrinya.pdf") in disposition
    assert "no-store" in response.headers["Cache-Control"]


def test_a_second_application_server_on_the_same_database_serves_the_same_file(
    migrated_database, canton, olten_user
):
    upload(canton, filename="Einladung.pdf")
    version_id = db.session.scalar(select(DocumentVersion.id))
    other_server = make_app(migrated_database)  # nothing shared but the database
    client = other_server.test_client()
    log_in(client, "clerk@olten.ch")
    response = client.get(f"/dokumente/datei/{version_id}")
    assert response.status_code == 200 and response.data == pdf()


def test_a_hidden_document_is_not_listed_and_not_downloadable(canton, clerk):
    upload(canton, title="Veraltetes Merkblatt")
    document = db.session.scalar(select(Document))
    version = document.versions[0]
    assert "Veraltetes Merkblatt" in clerk.get("/dokumente").get_data(as_text=True)

    assert (
        post_form(
            canton,
            f"/kanton/dokumente/{document.id}/verbergen",
            {},
            form_url=f"/kanton/dokumente/{document.id}",
        ).status_code
        == 303
    )
    assert "Veraltetes Merkblatt" not in clerk.get("/dokumente").get_data(as_text=True)
    assert "Veraltetes Merkblatt" not in clerk.get("/dokumente?q=merkblatt").get_data(as_text=True)
    assert clerk.get(f"/dokumente/datei/{version.id}").status_code == 404
    assert clerk.get(f"/dokumente/{document.id}").status_code == 404
    # The canton still has it.
    assert canton.get(f"/dokumente/datei/{version.id}").status_code == 200
    assert "Veraltetes Merkblatt" in canton.get("/kanton/dokumente").get_data(as_text=True)

    post_form(
        canton,
        f"/kanton/dokumente/{document.id}/anzeigen",
        {},
        form_url=f"/kanton/dokumente/{document.id}",
    )
    assert clerk.get(f"/dokumente/datei/{version.id}").status_code == 200


# --- search and filters -------------------------------------------------------------------------


@pytest.fixture
def library(canton):
    """Three documents: the invitation in German and Tigrinya, two in German only."""
    upload(
        canton,
        title="Einladungsbrief zum Erstinformationsgespräch",
        description="Vorlage für die Einladung",
        chapter="1.3",
    )
    invitation = db.session.scalar(select(Document))
    add_version(canton, invitation.id, "ti", "Einladung_ti.pdf", pdf("ti"))
    upload(
        canton,
        title="Übersicht kantonale Dienstleistungen",
        description="Was der Kanton für die Gemeinden tut: Bestellservice, Dolmetschen.",
        chapter="1.7",
    )
    upload(canton, title="Meldeformular an das MISA", description="Schritt 4", chapter="3.3-4")
    return canton


def titles(client, query: str) -> list[str]:
    page = client.get("/dokumente" + query).get_data(as_text=True)
    found = []
    for title in (
        "Einladungsbrief zum Erstinformationsgespräch",
        "Übersicht kantonale Dienstleistungen",
        "Meldeformular an das MISA",
    ):
        if f">{title}</a>" in page:
            found.append(title)
    return found


def test_search_finds_words_in_title_and_description_in_any_case(library, clerk):
    assert titles(clerk, "") == [
        "Einladungsbrief zum Erstinformationsgespräch",
        "Übersicht kantonale Dienstleistungen",
        "Meldeformular an das MISA",
    ]
    assert titles(clerk, "?q=einladung") == ["Einladungsbrief zum Erstinformationsgespräch"]
    assert titles(clerk, "?q=ÜBERSICHT") == ["Übersicht kantonale Dienstleistungen"]
    assert titles(clerk, "?q=übersicht") == ["Übersicht kantonale Dienstleistungen"]
    assert titles(clerk, "?q=dolmetschen+kanton") == ["Übersicht kantonale Dienstleistungen"]
    assert titles(clerk, "?q=dolmetschen+misa") == []
    assert titles(clerk, "?q=100%25") == []  # a LIKE wildcard is a plain character
    # A word of the chapter's title finds its documents, a top chapter's those beneath it.
    assert titles(clerk, "?q=vorbereitung") == ["Einladungsbrief zum Erstinformationsgespräch"]
    assert titles(clerk, "?q=Weiterleiten") == ["Meldeformular an das MISA"]
    assert titles(clerk, "?q=fordern") == ["Meldeformular an das MISA"]
    assert titles(clerk, "?q=fordern+einladung") == []


def test_language_and_chapter_filters(library, clerk, chapters):
    assert titles(clerk, "?sprache=ti") == ["Einladungsbrief zum Erstinformationsgespräch"]
    page = clerk.get("/dokumente?sprache=ti").get_data(as_text=True)
    assert "1 Dokument gefunden in Tigrinya" in page
    assert ">Tigrinya</a>" in page and ">Deutsch</a>" not in page
    assert titles(clerk, "?sprache=de") == titles(clerk, "")
    assert titles(clerk, "?sprache=fr") == []
    assert titles(clerk, "?sprache=xx") == titles(clerk, "")  # unknown: no filter
    assert titles(clerk, "?kapitel=%C2%B2") == titles(clerk, "")  # "²" is no chapter number
    informieren = chapters["informieren"].id
    assert titles(clerk, f"?kapitel={informieren}") == [
        "Einladungsbrief zum Erstinformationsgespräch",
        "Übersicht kantonale Dienstleistungen",
    ]
    assert titles(clerk, f"?kapitel={chapters['fordern'].id}&q=meldeformular") == [
        "Meldeformular an das MISA"
    ]
    assert titles(clerk, f"?kapitel={informieren}&sprache=ti&q=vorlage") == [
        "Einladungsbrief zum Erstinformationsgespräch"
    ]


def test_each_version_names_language_format_size_and_date(library, clerk):
    page = clerk.get("/dokumente?sprache=ti").get_data(as_text=True)
    size = len(pdf("ti"))
    assert f"PDF · {round(size / 1024)} kB · " in page or f"PDF · {size} Bytes · " in page


# --- new since the last visit --------------------------------------------------------------------


def test_documents_changed_since_the_last_visit_are_marked_new(library, clerk, olten_user):
    assert clerk.get("/dokumente").get_data(as_text=True).count(">Neu</span>") == 3
    # Still new while the user browses.
    assert clerk.get("/dokumente?q=einladung").get_data(as_text=True).count(">Neu</span>") == 1
    # The documents were uploaded hours ago; two hours after this visit the clerk comes back:
    # nothing changed since.
    invitation = db.session.scalar(select(Document).where(Document.title.like("Einladung%")))
    for document in db.session.scalars(select(Document)):
        document.updated_at -= timedelta(hours=5)
    visit = db.session.get(DocumentVisit, olten_user.id)
    visit.last_seen_at -= timedelta(hours=4)
    db.session.commit()
    assert ">Neu</span>" not in clerk.get("/dokumente").get_data(as_text=True)
    # The canton replaces a version; two hours later the clerk comes back.
    visit = db.session.get(DocumentVisit, olten_user.id)
    visit.last_seen_at -= timedelta(hours=2)
    db.session.commit()
    add_version(library, invitation.id, "de", "Einladung_neu.pdf", pdf("neu"))
    page = clerk.get("/dokumente").get_data(as_text=True)
    assert page.count(">Neu</span>") == 1
    marked = page.split(">Neu</span>")[0].rsplit("<h3>", 1)[1]
    assert "Einladungsbrief" in marked


# --- infomails ----------------------------------------------------------------------------------


def test_an_infomail_to_one_bezirk_reaches_exactly_its_active_users(mail_app, smtp_server):
    make_user("koordination@kanton.ch", name="Karin Koordination")
    make_user("ib@olten.ch", 2581, name="Ida Olten")
    make_user("einwohner@daeniken.ch", 2572, name="Dario Däniken")  # Bezirk Olten too
    make_user("ehemalig@dulliken.ch", 2573, active=False)  # Bezirk Olten, deactivated
    make_user("ib@grenchen.ch", 2546)  # Bezirk Lebern
    make_user("ib@trimbach.ch", 2500)  # Bezirk Gösgen
    canton = mail_app.test_client()
    log_in(canton, "koordination@kanton.ch")
    seed_demo_library()
    invitation = db.session.scalar(select(Document).where(Document.title.like("Einladung%")))

    response = post_form(
        canton,
        "/kanton/infomails/neu",
        {
            "subject": "Vernetzungstreffen Bezirk Olten",
            "body": "Liebe Integrationsverantwortliche\n\nDas Treffen findet am 3. März statt.",
            "audience": "bezirke",
            "bezirke": ["Olten"],
            "documents": [str(invitation.id)],
            "action": "send",
        },
    )
    assert response.status_code == 303
    infomail = db.session.scalar(select(Infomail))
    assert infomail.recipient_count == 2 and infomail.bezirke == ["Olten"]
    assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 2

    assert outbox.deliver_due().sent == 2
    delivered = {m["X-Envelope-To"] for m in smtp_server.messages}
    assert delivered == {"ib@olten.ch", "einwohner@daeniken.ch"}
    [mail] = smtp_server.to("einwohner@daeniken.ch")
    assert mail["Subject"] == "Vernetzungstreffen Bezirk Olten"
    body = text_body(mail)
    assert "Guten Tag Dario Däniken" in body and "am 3. März statt" in body
    assert f"http://portal.test/dokumente/{invitation.id}" in body
    assert f"http://portal.test/infomails/{infomail.id}" in body
    assert "ib@olten.ch" not in mail.as_string()  # nobody sees the other recipients
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "infomail.send")).detail[
            "recipients"
        ]
        == 2
    )

    # The archive: readable by the Bezirk's users and the canton, not by others.
    olten = mail_app.test_client()
    log_in(olten, "ib@olten.ch")
    assert "Vernetzungstreffen Bezirk Olten" in olten.get("/infomails").get_data(as_text=True)
    page = olten.get(f"/infomails/{infomail.id}").get_data(as_text=True)
    assert "Das Treffen findet am 3. März statt." in page and invitation.title in page
    assert "Gemeinden des Bezirks Olten" in page
    assert (
        "Gemeinden des Bezirks Olten (2 Personen)" in canton.get(f"/infomails/{infomail.id}").text
    )
    grenchen = mail_app.test_client()
    log_in(grenchen, "ib@grenchen.ch")
    assert "Vernetzungstreffen Bezirk Olten" not in grenchen.get("/infomails").get_data(
        as_text=True
    )
    assert grenchen.get(f"/infomails/{infomail.id}").status_code == 404


def test_an_infomail_to_all_reaches_every_active_gemeinde_user_and_is_archived_for_all(app, canton):
    make_user("ib@olten.ch", 2581)
    make_user("ib@grenchen.ch", 2546)
    make_user("weg@grenchen.ch", 2546, active=False)
    response = post_form(
        canton,
        "/kanton/infomails/neu",
        {
            "subject": "Neue Tarife ab 2027",
            "body": "Siehe Kreisschreiben.",
            "audience": "alle",
            "action": "send",
        },
    )
    assert response.status_code == 303
    recipients = sorted(m.recipients[0] for m in db.session.scalars(select(OutboxMail)))
    assert recipients == ["ib@grenchen.ch", "ib@olten.ch"]
    grenchen = app.test_client()
    log_in(grenchen, "ib@grenchen.ch")
    assert "Neue Tarife ab 2027" in grenchen.get("/infomails").get_data(as_text=True)


def test_web_addresses_in_an_infomail_are_links_and_the_rest_stays_text(app, canton):
    make_user("ib@olten.ch", 2581)
    body = "Programm: https://so.ch/integration/treffen?jahr=2027. <b>Anmeldung</b> im Portal."
    post_form(
        canton,
        "/kanton/infomails/neu",
        {"subject": "Treffen", "body": body, "audience": "alle", "action": "send"},
    )
    link = '<a href="https://so.ch/integration/treffen?jahr=2027">'
    infomail = db.session.scalar(select(Infomail))
    page = canton.get(f"/infomails/{infomail.id}").text
    assert f"{link}https://so.ch/integration/treffen?jahr=2027</a>. &lt;b&gt;Anmeldung" in page
    [mail] = db.session.scalars(select(OutboxMail))
    assert link in mail.body_html and "&lt;b&gt;Anmeldung&lt;/b&gt;" in mail.body_html


def test_an_infomail_to_bezirke_needs_a_bezirk(canton):
    response = post_form(
        canton,
        "/kanton/infomails/neu",
        {"subject": "Treffen", "body": "Text", "audience": "bezirke", "action": "send"},
    )
    assert response.status_code == 200
    assert "Bitte wählen Sie mindestens einen Bezirk." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Infomail)) == 0


def test_an_infomail_is_checked_before_it_is_sent_and_a_resent_form_sends_once(app, canton):
    make_user("ib@olten.ch", 2581, name="Ida Olten")
    make_user("ib@grenchen.ch", 2546)
    form = {
        "subject": "Vernetzungstreffen",
        "body": "Erste Zeile\nZweite Zeile",
        "audience": "bezirke",
        "bezirke": ["Olten", "Thal"],
        "submission_key": "a" * 32,
    }
    check = post_form(canton, "/kanton/infomails/neu", form)
    page = check.get_data(as_text=True)
    assert check.status_code == 200
    assert "Bitte prüfen Sie die Infomail" in page
    assert "Infomail an 1 Person senden" in page and "Ida Olten, Olten (ib@olten.ch)" in page
    audience = "die aktiven Gemeinde-Benutzerinnen und -Benutzer der Bezirke Olten, Thal"
    assert f"<strong>1 Person</strong>: {audience}" in page
    assert 'name="bezirke" value="Thal"' in page
    assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 0

    for _ in range(2):  # a double click that reached the server twice
        sent = post_form(canton, "/kanton/infomails/neu", {**form, "action": "send"})
        assert sent.status_code == 303
    infomail = db.session.scalar(select(Infomail))
    assert infomail.body == "Erste Zeile\nZweite Zeile"
    assert db.session.scalar(select(func.count()).select_from(Infomail)) == 1
    assert [m.recipients for m in db.session.scalars(select(OutboxMail))] == [["ib@olten.ch"]]


# --- seed -------------------------------------------------------------------------------------


def test_the_demo_library_is_seeded_once_with_valid_pdfs_in_several_languages(app):
    first = seed_demo_library()
    again = seed_demo_library()
    assert first[0] == len(dokumente.CHAPTERS) and first[1] >= 5
    assert again == (0, 0)
    welcome = db.session.scalar(select(Document).where(Document.title == "Begrüssungsbrief"))
    assert {v.language_code for v in welcome.current_versions} == {"de", "fr", "it", "en"}
    for version in db.session.scalars(select(DocumentVersion)):
        data = version.file.data
        assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
        # The cross-reference table points at the objects (a reader would find them).
        startxref = int(data.rsplit(b"startxref", 1)[1].split()[0])
        assert data[startxref:].startswith(b"xref")


# --- records for the route inventory (tests/test_route_inventory.py) ----------------------------


def library_records() -> dict:
    """A visible document with one version and an infomail to everyone."""
    chapters_created = dokumente.seed_chapters()
    assert chapters_created
    chapter = db.session.scalar(select(Chapter).where(Chapter.key == "1.3"))
    language = db.session.get(Language, "de")
    document = dokumente.create_document(
        dokumente.DocumentData("Einladungsbrief", "", chapter),
        language,
        check_upload("Einladung.pdf", pdf()),
        None,
    )
    infomail = Infomail(subject="An alle", body="Text", bezirke=[])
    db.session.add(infomail)
    db.session.commit()
    return {
        "document_id": document.id,
        "version_id": document.versions[0].id,
        "infomail_id": infomail.id,
    }


def assert_library_unchanged() -> None:
    """The refused POSTs added no version and hid nothing."""
    assert db.session.scalar(select(func.count()).select_from(DocumentVersion)) == 1
    assert db.session.scalar(select(Document.hidden)) is False


def test_seed_command_loads_chapters_and_demo_documents_only_where_demos_are_allowed(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "dokumente"])
    assert result.exit_code == 0, result.output
    assert f"Kapitel: {len(dokumente.CHAPTERS)} neu." in result.output
    assert document_count() == 0  # not in testing or production
    app.config["DEMO_ACCOUNTS_ALLOWED"] = True
    result = runner.invoke(args=["seed", "dokumente"])
    assert "Demo-Dokumente: 8 neu." in result.output, result.output
    assert runner.invoke(args=["seed", "dokumente"]).output.endswith("Demo-Dokumente: 0 neu.\n")
