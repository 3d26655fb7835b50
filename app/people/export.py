"""Export files (CSV and xlsx) of people, written row batch by row batch.

Columns are the API's field names, so a script reads an export like a list page.
Cells that a spreadsheet would run as a formula are neutralised (OWASP "CSV
injection"); phone and ID numbers arrive already masked or not (service rule).
"""

import csv
import enum
import io
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import date
from typing import Any, Protocol

import anyio
from openpyxl import Workbook

from app.db.base import ANCESTOR_COLUMNS
from app.kit.cells import append_row, safe_cell, safe_row
from app.people.schemas import ExportFormat

PEOPLE_COLUMNS = (
    "id",
    "name",
    "gender",
    "mobile",
    "id_number",
    "home_unit_id",
    "address_building",
    "address_unit",
    "address_room",
    *ANCESTOR_COLUMNS,
    "is_archived",
    "created_at",
)
MEDIA_TYPES = {
    ExportFormat.csv: "text/csv; charset=utf-8",
    ExportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_CHUNK = 64 * 1024

Cell = str | int | bool | None


def _safe(value: Any) -> Cell:
    # Called for every cell of an export: cheap type tests first.
    kind = value.__class__
    if value is None or kind is int or kind is bool:
        return value  # type: ignore[no-any-return]
    if kind is not str:
        value = value.value if isinstance(value, enum.Enum) else value
        value = value.isoformat() if isinstance(value, date) else str(value)
    # Cleaned first, then neutralised (app/kit/cells.py): "\x01=HYPERLINK(…)" too.
    return safe_cell(value)  # type: ignore[no-any-return]


def cells(values: Mapping[str, Any]) -> list[Cell]:
    """One exported row, in PEOPLE_COLUMNS order, from a mapping of column values."""
    return [_safe(values[column]) for column in PEOPLE_COLUMNS]


class ExportWriter(Protocol):
    async def header(self, columns: Sequence[str]) -> bytes: ...
    async def rows(self, rows: list[list[Cell]]) -> bytes: ...
    def finish(self) -> AsyncIterator[bytes]: ...


class CsvWriter:
    """UTF-8 with a byte-order mark, so Excel opens Chinese text correctly."""

    def _encode(self, rows: Sequence[Sequence[Cell]]) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer).writerows(safe_row(row) for row in rows)
        return buffer.getvalue().encode("utf-8")

    async def header(self, columns: Sequence[str]) -> bytes:
        return "\ufeff".encode() + self._encode([columns])

    async def rows(self, rows: list[list[Cell]]) -> bytes:
        return self._encode(rows)

    async def finish(self) -> AsyncIterator[bytes]:
        return
        yield b""  # an empty async generator


class XlsxWriter:
    """openpyxl write-only mode: rows go to a temporary file, not to memory.

    The zip container is only complete at the end, so the file streams once written.
    Workbook work runs in a thread to keep the event loop free.
    """

    def __init__(self) -> None:
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet("people")

    def _append(self, rows: Sequence[Sequence[Cell]]) -> None:
        for row in rows:
            append_row(self._sheet, row)

    async def header(self, columns: Sequence[str]) -> bytes:
        await anyio.to_thread.run_sync(self._append, [columns])
        return b""

    async def rows(self, rows: list[list[Cell]]) -> bytes:
        await anyio.to_thread.run_sync(self._append, rows)
        return b""

    async def finish(self) -> AsyncIterator[bytes]:
        with tempfile.TemporaryFile() as file:
            await anyio.to_thread.run_sync(self._book.save, file)
            file.seek(0)
            while chunk := await anyio.to_thread.run_sync(file.read, _CHUNK):
                yield chunk


def writer_for(fmt: ExportFormat) -> ExportWriter:
    return XlsxWriter() if fmt is ExportFormat.xlsx else CsvWriter()
