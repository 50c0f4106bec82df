"""Streamed exports as CSV and XLSX: memory stays flat however many rows there are."""

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from itertools import chain, islice
from typing import IO

import xlsxwriter
from flask import Response, send_file, stream_with_context
from sqlalchemy import Select

from orders.extensions import db
from orders.formatting import format_date, format_datetime, local_time

BATCH = 500

# A cell that begins with one of these is a formula to Excel (OWASP "CSV injection").
FORMULA_STARTS = frozenset("=+-@\t\r")

# Rows hold dates, times and points in time as such, and amounts of francs as Decimal. A CSV
# writes them as Swiss text, which Excel reads back as dates and numbers; an XLSX writes them
# as date and number cells in these formats, so that the canton can sort, filter and add them
# up. A point in time is shown in Swiss time.
CSV_TEXT = {
    # The lines of an order follow each other and share its time: each is converted once.
    datetime: lru_cache(maxsize=64)(format_datetime),
    date: format_date,
    time: lambda value: value.strftime("%H:%M"),
    Decimal: lambda value: f"{value:.2f}",
}
XLSX_FORMATS = {
    datetime: "dd.mm.yyyy hh:mm",
    date: "dd.mm.yyyy",
    time: "hh:mm",
    Decimal: "#,##0.00",
}


def _csv_row(row: list) -> list:
    """The row as a CSV writes it: dates and times as Swiss text, and each text that Excel
    would run as a formula given a leading apostrophe (Excel shows the text as typed). One
    comprehension and no call per cell: it runs for each of the millions of cells of a full
    export."""
    return [
        (f"'{value}" if value[:1] in FORMULA_STARTS else value)
        if isinstance(value, str)
        else CSV_TEXT[value.__class__](value)
        if value.__class__ in CSV_TEXT
        else value
        for value in row
    ]


def stream(statement: Select) -> Iterator:
    """The statement's objects in batches; eager loads run per batch, not per object.

    A generator: the query runs when the rows are first read, i.e. inside a streamed
    response's own context. Run in the view, its cursor would belong to the request's session,
    which is closed when the view returns and before a CSV response is streamed.
    """
    yield from db.session.scalars(statement.execution_options(yield_per=BATCH))


def _csv_chunks(columns: list[str], rows: Iterable[list]) -> Iterator[str]:
    """The CSV in pieces of BATCH rows: UTF-8 with BOM and semicolons, so that Excel in
    Switzerland opens it with umlauts intact."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    buffer.write("\ufeff")
    writer.writerow(columns)
    for count, row in enumerate(rows, start=1):
        writer.writerow(_csv_row(row))
        if count % BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_text(columns: list[str], rows: Iterable[list]) -> str:
    """A small export as one text (e.g. a mail's attachment), as csv_response streams it."""
    return "".join(_csv_chunks(columns, rows))


def csv_response(columns: list[str], rows: Iterable[list], filename: str) -> Response:
    return Response(
        stream_with_context(_csv_chunks(columns, rows)),
        mimetype="text/csv",  # Werkzeug adds "; charset=utf-8" to a text type
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# The first rows size the columns (to their longest text, up to MAX_WIDTH characters).
WIDTH_SAMPLE = 100
MAX_WIDTH = 50


def write_xlsx(handle: IO[bytes], columns: list[str], rows: Iterable[list], sheet_name: str) -> int:
    """Write a workbook of one sheet to an open binary file; return the number of data rows.

    Row by row (XlsxWriter's constant-memory mode), with a bold header row that stays in view
    and filters in it, and columns as wide as their first rows. Texts stay texts: none becomes
    a formula or a link, whatever a user typed. Dates and times are date cells, amounts numbers.
    """
    workbook = xlsxwriter.Workbook(
        handle,
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    sheet = workbook.add_worksheet(sheet_name)
    _write_typed_cells(workbook, sheet)
    sheet.write_row(0, 0, columns, workbook.add_format({"bold": True}))
    sheet.freeze_panes(1, 0)
    rows = iter(rows)
    sample = list(islice(rows, WIDTH_SAMPLE))
    for number, width in enumerate(_widths(columns, sample)):
        sheet.set_column(number, number, width)
    row_number = 0
    for row_number, row in enumerate(chain(sample, rows), start=1):
        sheet.write_row(row_number, 0, row)
    sheet.autofilter(0, 0, row_number, len(columns) - 1)
    workbook.close()
    return row_number


def _write_typed_cells(workbook, sheet) -> None:
    """XlsxWriter's write handlers: a date, time or point in time (in Swiss time) becomes a
    date cell, an amount a number cell, each in its format from XLSX_FORMATS."""
    for kind, number_format in XLSX_FORMATS.items():
        cell_format = workbook.add_format({"num_format": number_format})

        def write(worksheet, row, col, value, *_, cell_format=cell_format):
            if isinstance(value, Decimal):
                return worksheet.write_number(row, col, value, cell_format)
            if isinstance(value, datetime):
                value = local_time(value).replace(tzinfo=None)
            return worksheet.write_datetime(row, col, value, cell_format)

        sheet.add_write_handler(kind, write)


def _widths(columns: list[str], sample: list[list]) -> list[int]:
    """Each column's width in characters: its heading's or its longest cell's, as shown."""
    widths = [len(column) for column in columns]
    for row in sample:
        for number, value in enumerate(_csv_row(row)):
            widths[number] = max(widths[number], len(str(value if value is not None else "")))
    return [min(width + 2, MAX_WIDTH) for width in widths]


def xlsx_response(columns: list[str], rows: Iterable[list], filename: str, sheet_name: str):
    """Written to a temporary file, then sent: for the small exports that are built in the
    request (the canton's order export is an export job, see services/export_jobs.py)."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    write_xlsx(handle, columns, rows, sheet_name)
    handle.seek(0)
    return send_file(handle, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=filename)


def response(fmt: str, columns: list[str], rows: Iterable[list], name: str, sheet_name: str):
    """The export in the asked format, or None for an unknown format."""
    if fmt == "csv":
        return csv_response(columns, rows, f"{name}.csv")
    if fmt == "xlsx":
        return xlsx_response(columns, rows, f"{name}.xlsx", sheet_name)
    return None
