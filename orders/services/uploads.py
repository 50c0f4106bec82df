"""Check uploaded files by their content, not their name, and make their names safe.

Accepted: PDF, Word (DOCX), Excel (XLSX), OpenDocument text (ODT) and images (PNG, JPEG, GIF,
WebP), up to 25 MB. A file is recognised by its first bytes; the ZIP-based office formats by the
entries inside the archive, so that a renamed executable or a random ZIP is refused.
"""

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
MAX_FILENAME_LENGTH = 120


@dataclass(frozen=True)
class FileType:
    label: str  # shown to users: "PDF", "Word", ...
    content_type: str
    extensions: tuple[str, ...]  # the first is used when a name lacks one


PDF = FileType("PDF", "application/pdf", ("pdf",))
DOCX = FileType(
    "Word",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ("docx",),
)
XLSX = FileType(
    "Excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ("xlsx",),
)
ODT = FileType("ODT", "application/vnd.oasis.opendocument.text", ("odt",))
PNG = FileType("Bild (PNG)", "image/png", ("png",))
JPEG = FileType("Bild (JPEG)", "image/jpeg", ("jpg", "jpeg"))
GIF = FileType("Bild (GIF)", "image/gif", ("gif",))
WEBP = FileType("Bild (WebP)", "image/webp", ("webp",))
ALL_TYPES = (PDF, DOCX, XLSX, ODT, PNG, JPEG, GIF, WEBP)
KNOWN_EXTENSIONS = {ext: t for t in ALL_TYPES for ext in t.extensions}

ACCEPTED = "PDF, Word (DOCX), Excel (XLSX), ODT oder ein Bild (PNG, JPEG, GIF, WebP)"
# For the browser's file chooser only; the server decides by content.
ACCEPT_ATTRIBUTE = ",".join(f".{ext}" for ext in KNOWN_EXTENSIONS)

# Leading bytes -> type, for formats recognisable by their start alone.
SIGNATURES: tuple[tuple[bytes, FileType], ...] = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
)
# A ZIP-based office document is recognised by an entry only that format has.
ZIP_ENTRIES: tuple[tuple[str, FileType], ...] = (
    ("word/document.xml", DOCX),
    ("xl/workbook.xml", XLSX),
)
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


class UploadError(ValueError):
    """The file is refused; the message (German) says why and what is accepted."""


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    file_type: FileType
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def sniff(data: bytes) -> FileType | None:
    """The file's type from its content, or None when it is none of the accepted ones."""
    for signature, file_type in SIGNATURES:
        if data.startswith(signature):
            return file_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    return None


def _sniff_zip(data: bytes) -> FileType | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                return None  # an Office file with macros (.docm/.xlsm), whatever its name
            for entry, file_type in ZIP_ENTRIES:
                if entry in names:
                    return file_type
            if "mimetype" in names:
                with archive.open("mimetype") as mimetype:
                    if mimetype.read(len(ODT_MIMETYPE) + 1).strip() == ODT_MIMETYPE:
                        return ODT
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
        return None
    return None


def safe_filename(name: str) -> str:
    """The last part of the name only (no folders, no "..") with letters, digits, umlauts,
    dots, dashes and underscores; everything else becomes "_".

    Unlike werkzeug's secure_filename, which it follows otherwise, it keeps umlauts readable
    ("Begrüssungsbrief.pdf" stays as it is).
    """
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c if c.isalnum() or c in "._-" else "_" for c in name if c.isprintable())
    name = re.sub(r"_+", "_", name)
    name = re.sub(r"\.{2,}", ".", name).strip("._ ")
    if len(name) > MAX_FILENAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:10] if dot else ""
        name = (stem if dot else name)[: MAX_FILENAME_LENGTH - len(ext) - 1] + (
            f".{ext}" if ext else ""
        )
    return name


def check_upload(filename: str, data: bytes) -> CheckedFile:
    """The file if it may be stored; else UploadError with a German message."""
    if not data:
        raise UploadError("Die Datei ist leer. Bitte wählen Sie eine andere Datei.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(
            "Die Datei ist zu gross: höchstens 25 MB. "
            "Bitte verkleinern Sie sie (z. B. als PDF mit geringerer Bildauflösung)."
        )
    file_type = sniff(data)
    if file_type is None:
        raise UploadError(f"Diese Datei kann nicht hochgeladen werden. Erlaubt sind: {ACCEPTED}.")
    name = safe_filename(filename)
    stem, dot, extension = name.rpartition(".")
    extension = extension.lower() if dot else ""
    if extension in KNOWN_EXTENSIONS and extension not in file_type.extensions:
        raise UploadError(
            f"Die Datei heisst «.{extension}», ist aber nach ihrem Inhalt {file_type.label}. "
            "Bitte prüfen Sie, ob Sie die richtige Datei gewählt haben."
        )
    if extension not in file_type.extensions:
        # No or an unknown ending ("brief" or "brief.exe" that is really a PDF): name it by
        # what it is.
        name = f"{name or 'dokument'}.{file_type.extensions[0]}"
    elif not stem:
        name = f"dokument.{extension}"
    return CheckedFile(filename=name, file_type=file_type, data=data)
