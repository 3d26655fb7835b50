"""Reading and writing hierarchy files (csv and xlsx), streamed row by row.

The columns are the same both ways, so an export imports again. Headers may be the
English keys or their Chinese names (编码, 名称 …). CSV is read as UTF-8 (with or
without BOM) or, failing that, as GB18030, which Excel in Chinese locales writes.
"""

import codecs
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from enum import StrEnum
from typing import IO, Any, Final

from app.kit.cells import FORMULA_START, append_row, safe_row

COLUMNS: Final = (
    "code",
    "name",
    "level",
    "parent_code",
    "grid_kind",
    "address",
    "contact_name",
    "contact_phone",
)
CHINESE_HEADERS: Final = {
    "编码": "code",
    "名称": "name",
    "层级": "level",
    "上级编码": "parent_code",
    "网格类型": "grid_kind",
    "地址": "address",
    "联系人": "contact_name",
    "联系电话": "contact_phone",
}
HEADER_NAMES_ZH: Final = {key: zh for zh, key in CHINESE_HEADERS.items()}

RawRow = tuple[str | None, ...]
"""One data row's cells, in the order of :data:`COLUMNS` (None when empty or absent)."""


class FileFormat(StrEnum):
    """Import/export file format."""

    csv = "csv"
    """逗号分隔 · comma-separated values, UTF-8."""
    xlsx = "xlsx"
    """Excel 工作簿 · Office Open XML workbook."""


MEDIA_TYPES: Final = {
    FileFormat.csv: "text/csv; charset=utf-8",
    FileFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class HeaderProblem(Exception):
    def __init__(self, problem_code: str, column: str | None = None) -> None:
        super().__init__(problem_code)
        self.problem_code = problem_code
        self.column = column


def detect_format(filename: str | None, content_type: str | None) -> FileFormat | None:
    name = (filename or "").lower()
    media = (content_type or "").split(";")[0].strip().lower()
    if name.endswith(".xlsx") or media == MEDIA_TYPES[FileFormat.xlsx]:
        return FileFormat.xlsx
    if name.endswith(".csv") or media in ("text/csv", "application/csv"):
        return FileFormat.csv
    return None


def header_positions(header: Iterable[Any]) -> list[int | None]:
    """For each of :data:`COLUMNS`, its position in the file (None when absent)."""
    positions: list[int | None] = [None] * len(COLUMNS)
    for index, cell in enumerate(header):
        label = _text(cell)
        if label is None:
            continue
        key = CHINESE_HEADERS.get(label, label.lower())
        if key not in COLUMNS:
            raise HeaderProblem("unknown_column", label)
        slot = COLUMNS.index(key)
        if positions[slot] is not None:
            raise HeaderProblem("duplicate_column", key)
        positions[slot] = index
    for key in ("code", "name", "level"):
        if positions[COLUMNS.index(key)] is None:
            raise HeaderProblem("missing_column", key)
    return positions


def _text(cell: Any) -> str | None:
    """A cell as trimmed text. Excel stores digit-only codes and phones as numbers."""
    if cell is None:
        return None
    if isinstance(cell, bool):
        value = str(cell)
    elif isinstance(cell, float) and cell.is_integer():
        value = str(int(cell))
    else:
        value = str(cell)
    if value[:1] == "'" and value[1:2] and value[1] in FORMULA_START:
        value = value[1:]  # our exports' neutralised formula start: the file imports again
    value = value.strip()
    return value or None


def _pick(cells: Sequence[Any], positions: list[int | None]) -> RawRow:
    width = len(cells)
    return tuple(_text(cells[p]) if p is not None and p < width else None for p in positions)


def read_rows(stream: IO[bytes], fmt: FileFormat) -> Iterator[tuple[int, RawRow]]:
    """Yield ``(row number, cells)`` for each non-blank data row; the header is row 1.

    Raises :class:`HeaderProblem` when the header is missing or unusable and
    ``UnicodeDecodeError`` / ``ValueError`` when the file cannot be read.
    """
    rows = _csv_cells(stream) if fmt is FileFormat.csv else _xlsx_cells(stream)
    header = next(rows, None)
    if header is None:
        raise HeaderProblem("empty_file")
    positions = header_positions(header)
    for number, cells in enumerate(rows, start=2):
        picked = _pick(cells, positions)
        if any(value is not None for value in picked):
            yield number, picked


def _csv_cells(stream: IO[bytes]) -> Iterator[list[str]]:
    sample = stream.read(64 * 1024)
    stream.seek(0)
    encoding = "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        encoding = "gb18030"
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        yield from csv.reader(text)
    finally:
        text.detach()


# An xlsx is a zip: a 1.5 MB file can unpack to gigabytes (a "zip bomb" in its shared
# strings). Its directory says how large each part unpacks, checked before parsing.
MAX_XLSX_UNPACKED: Final = 512 * 1024 * 1024
MAX_XLSX_RATIO: Final = 200
"""Unpacked / packed per part; real sheets of repetitive rows stay well under 100."""
MAX_XLSX_PARTS: Final = 1000


def check_archive(stream: IO[bytes]) -> None:
    """Raises :class:`HeaderProblem` ``archive_too_large`` for an xlsx whose parts
    would unpack beyond the limits; reads only the zip's directory."""
    with zipfile.ZipFile(stream) as archive:
        parts = archive.infolist()
    stream.seek(0)
    total = sum(part.file_size for part in parts)
    if (
        len(parts) > MAX_XLSX_PARTS
        or total > MAX_XLSX_UNPACKED
        or any(p.file_size > MAX_XLSX_RATIO * max(p.compress_size, 1024) for p in parts)
    ):
        raise HeaderProblem("archive_too_large")


def _xlsx_cells(stream: IO[bytes]) -> Iterator[tuple[Any, ...]]:
    from openpyxl import load_workbook

    check_archive(stream)
    # read_only streams the sheet XML instead of building every cell object.
    workbook = load_workbook(stream, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        yield from sheet.iter_rows(values_only=True)
    finally:
        workbook.close()


class ExportWriter:
    """Writes export rows to a binary file in csv or xlsx, header first."""

    def __init__(self, target: IO[bytes], fmt: FileFormat) -> None:
        self._target = target
        self._fmt = fmt
        if fmt is FileFormat.csv:
            # A BOM lets Excel open UTF-8 CSV with Chinese text correctly.
            self._text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="")
            self._csv = csv.writer(self._text)
            self._csv.writerow(safe_row(COLUMNS))
        else:
            from openpyxl import Workbook

            # write_only keeps memory flat: rows go to a temporary file as they come.
            self._workbook = Workbook(write_only=True)
            self._sheet = self._workbook.create_sheet("org_units")
            append_row(self._sheet, COLUMNS)

    def write(self, row: RawRow) -> None:
        # Names and phones come from users: cleaned and neutralised (app/kit/cells.py).
        if self._fmt is FileFormat.csv:
            self._csv.writerow(safe_row("" if v is None else v for v in row))
        else:
            append_row(self._sheet, row)

    def write_many(self, rows: Iterable[RawRow]) -> None:
        for row in rows:
            self.write(row)

    def close(self) -> None:
        if self._fmt is FileFormat.csv:
            self._text.flush()
            self._text.detach()
        else:
            self._workbook.save(self._target)
