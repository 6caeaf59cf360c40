"""One ledger mechanism (台账) for every ledger: filter by point and period, print on A4
landscape, export to xlsx and CSV.

A ledger names its columns and yields its rows for a set of points and a date range; the
mechanism adds the serial number, renders, exports and streams. Apps register their ledgers
in a ``ledgers`` module (found at start-up), so this package imports no app.
"""

import csv
import datetime as dt
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

from django.db import connections, transaction
from django.http import FileResponse, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.dimensions import ColumnDimension

SERIAL = _("No.")


@dataclass(frozen=True)
class Column:
    title: str
    width: int = 12  # in characters, for xlsx; CJK characters count double
    kind: str = "text"  # text | date | number


@dataclass(frozen=True)
class Ledger:
    slug: str
    title: str
    columns: list[Column]
    rows: Callable[[object, dt.date, dt.date], Iterable[list]]  # (points queryset, start, end)
    permission: str  # the Django permission needed to read it
    order: int = 0
    notes: list[str] = field(default_factory=list)


REGISTRY: dict[str, Ledger] = {}


def register(ledger: Ledger) -> Ledger:
    REGISTRY[ledger.slug] = ledger
    return ledger


def read_all(queryset, chunk_size: int = 2000):
    """Every row of ``queryset``, fetched in chunks through a server-side cursor.

    PostgreSQL plans a cursor for reading a tenth of its rows: a fast start, such as walking an
    index in order across the whole table. A ledger reads all of them, so the plan is made for
    that (a district's 100,000-row export: 13.5 s with the cursor's plan, 8.5 s without)."""
    using = queryset.db
    with transaction.atomic(using=using):
        if connections[using].vendor == "postgresql":
            with connections[using].cursor() as cursor:
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        yield from queryset.iterator(chunk_size=chunk_size)


def numbered(rows: Iterable[list]) -> Iterable[list]:
    for serial, row in enumerate(rows, start=1):
        yield [serial, *row]


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class _Echo:
    def write(self, value):
        return value


def csv_response(ledger: Ledger, rows: Iterable[list], filename: str) -> StreamingHttpResponse:
    """CSV streamed row by row; the UTF-8 BOM makes Excel read the Chinese correctly."""
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff" + writer.writerow([str(SERIAL), *(str(c.title) for c in ledger.columns)])
        for row in numbered(rows):
            yield writer.writerow([_cell(v) for v in row])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _disposition(filename + ".csv")
    return response


def xlsx_response(ledger: Ledger, rows: Iterable[list], filename: str, heading: str) -> FileResponse:
    """xlsx written in openpyxl's write-only mode to a temporary file, so memory stays flat
    however many rows there are: column widths, a frozen header, dates as dates."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(ledger.title)[:31])
    sheet.freeze_panes = "A3"
    widths = [6, *(c.width for c in ledger.columns)]
    for index, width in enumerate(widths, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter] = ColumnDimension(sheet, index=letter, width=width)
    sheet.append([heading])
    sheet.append([str(SERIAL), *(str(c.title) for c in ledger.columns)])
    kinds = ["number", *(c.kind for c in ledger.columns)]
    for row in numbered(rows):
        cells = []
        for value, kind in zip(row, kinds, strict=True):
            cell = WriteOnlyCell(sheet, value=value if value is not None else "")
            if kind == "date" and isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            elif not isinstance(value, int | float | dt.date):
                cell.value = _cell(value)
            cells.append(cell)
        sheet.append(cells)
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    workbook.save(handle)
    handle.seek(0)
    response = FileResponse(handle, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = _disposition(filename + ".xlsx")
    return response


def _disposition(filename: str) -> str:
    return f"attachment; filename=\"ledger{filename[filename.rfind('.') :]}\"; filename*=UTF-8''{quote(filename)}"
