"""A demo library: the chapter tree and a few documents in several languages, as small PDFs
written here byte by byte (no PDF library needed)."""

from sqlalchemy import select

from orders.extensions import db
from orders.models import Chapter, Document, Language
from orders.services import dokumente
from orders.services.uploads import check_upload

# (chapter key, title, description, language codes, file name stem)
DEMO_DOCUMENTS = [
    (
        "1.1",
        "Personalienblatt",
        "Formular zur Erfassung der Personalien bei der Anmeldung neuzuziehender Personen.",
        ["de"],
        "Personalienblatt",
    ),
    (
        "1.2",
        "Begrüssungsbrief",
        "Begrüssungsbrief der Gemeinde für die Erstinformationsmappe.",
        ["de", "fr", "it", "en"],
        "Begrüssungsbrief",
    ),
    (
        "1.2",
        "Registerblatt Erstinformationsmappe",
        "Registerblatt mit den Kapiteln der Erstinformationsmappe.",
        ["de", "fr", "it", "en", "sq", "ar", "pt", "es", "tr", "ti", "uk", "ta"],
        "Registerblatt",
    ),
    (
        "1.3",
        "Einladungsbrief zum Erstinformationsgespräch",
        "Vorlage für die Einladung zum Erstinformationsgespräch, mit Hinweis auf die "
        "kostenlose Übersetzung durch interkulturell Dolmetschende.",
        [
            "de",
            "fr",
            "it",
            "en",
            "sq",
            "ar",
            "fa",
            "prs",
            "ku",
            "pt",
            "ru",
            "so",
            "es",
            "ti",
            "tr",
            "uk",
        ],
        "Einladungsbrief",
    ),
    (
        "1.3",
        "Merkblatt Dolmetschen",
        "Wann und wie Gemeinden interkulturell Dolmetschende von HEKS Linguadukt bestellen.",
        ["de"],
        "Merkblatt_Dolmetschen",
    ),
    (
        "1.4",
        "Gesprächsleitfaden Erstinformationsgespräch",
        "Leitfaden Standard und Variante Sozialhilfe, mit den rechtlichen Grundlagen.",
        ["de"],
        "Gesprächsleitfaden",
    ),
    (
        "1.6",
        "Selbstdeklaration",
        "Jährliche Selbstdeklaration als Voraussetzung für den Sockelbeitrag.",
        ["de"],
        "Selbstdeklaration",
    ),
    (
        "3.3-3",
        "Vorlage Vorladung und Protokoll Integrationsgespräch",
        "Vorlagen für die Vorladung zum Integrationsgespräch und dessen Protokoll.",
        ["de"],
        "Vorladung_Integrationsgespräch",
    ),
]


def _pdf_text(text: str) -> bytes:
    """A PDF string literal in WinAnsi (Latin-1 covers the German umlauts)."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("latin-1", "replace") + b")"


def minimal_pdf(title: str, lines: list[str]) -> bytes:
    """A valid one-page A4 PDF showing a title and some lines in Helvetica."""
    text = [b"BT /F1 18 Tf 60 770 Td " + _pdf_text(title) + b" Tj ET"]
    y = 735
    for line in lines:
        text.append(b"BT /F1 11 Tf 60 %d Td " % y + _pdf_text(line) + b" Tj ET")
        y -= 18
    stream = b"\n".join(text)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def seed_demo_library() -> tuple[int, int]:
    """The chapters and the demo documents that are missing (idempotent).
    Returns (chapters created, documents created)."""
    chapters_created = dokumente.seed_chapters()
    chapters = {c.key: c for c in db.session.scalars(select(Chapter))}
    languages = {language.code: language for language in db.session.scalars(select(Language))}
    existing = set(db.session.scalars(select(Document.title)))
    created = 0
    for chapter_key, title, description, codes, stem in DEMO_DOCUMENTS:
        if title in existing:
            continue
        codes = [code for code in codes if code in languages]
        if not codes:
            continue
        files = [
            (languages[code], _demo_file(title, description, languages[code], stem))
            for code in codes
        ]
        data = dokumente.DocumentData(title, description, chapters[chapter_key])
        document = dokumente.create_document(data, files[0][0], files[0][1], None)
        for language, checked in files[1:]:
            dokumente.add_version(document, language, checked, None)
        created += 1
    return chapters_created, created


def _demo_file(title: str, description: str, language: Language, stem: str):
    pdf = minimal_pdf(
        title,
        [
            f"Sprachfassung: {language.name}",
            description[:90],
            "Kanton Solothurn, Amt für Gesellschaft und Soziales",
            "Koordinationsstelle Integration - Arbeitsordner start.integration",
            "(Demo-Dokument, vom Portal erzeugt)",
        ],
    )
    return check_upload(f"{stem}_{language.code}.pdf", pdf)
