"""Checking an import file and planning its rows, without touching the database.

Two passes keep memory flat for 100,000 rows: :meth:`ImportPlan.feed` checks each
row as it is parsed and spools the normalised row to a temporary file, keeping only
the structure (code, level, parent code) in compact arrays; once the service has
looked up existing codes and parents, :meth:`ImportPlan.resolve` checks the tree and
:meth:`ImportPlan.records` re-reads the spool to stream rows into COPY.
"""

import csv
import tempfile
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, Final

from app.hierarchy.importexport.formats import COLUMNS, HEADER_NAMES_ZH, RawRow
from app.hierarchy.models import LEVELS, GridKind, OrgLevel
from app.hierarchy.rules import normalize_contact_phone, valid_code
from app.kit.types import has_control_characters

MAX_ROWS: Final = 200_000
MAX_REPORTED: Final = 1000
"""The report lists at most this many problems; ``error_count`` has them all."""

_NO_LEVEL: Final = 255
_MAX_LENGTH: Final = {
    "code": 64,
    "name": 100,
    "parent_code": 64,
    "address": 200,
    "contact_name": 50,
    "contact_phone": 20,
}
# Level and grid kind may be written as the keys or in Chinese.
_LEVEL_WORDS: Final = {
    **{level.value: i for i, level in enumerate(LEVELS)},
    "镇": 0,
    "街道": 0,
    "镇(街道)": 0,
    "社区": 1,
    "网格": 2,
    "楼栋": 3,
    "中心户": 4,
    "党员中心户": 4,
}
_GRID_KIND_WORDS: Final = {
    **{kind.value: kind.value for kind in GridKind},
    "小区": GridKind.compound.value,
    "小区网格": GridKind.compound.value,
    "街巷": GridKind.street.value,
    "街巷网格": GridKind.street.value,
    "功能型": GridKind.functional.value,
    "功能型党支部": GridKind.functional.value,
}
_COL: Final = {name: i for i, name in enumerate(COLUMNS)}

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "empty_file": ("文件为空，缺少表头", "The file is empty; a header row is required"),
    "unreadable": ("无法读取文件内容", "The file cannot be read"),
    "archive_too_large": (
        "xlsx 文件解压后过大或压缩比异常，请拆分后再导入",
        "The xlsx file unpacks too large or at a suspicious ratio; split it",
    ),
    "unknown_column": ("未知的列「{value}」", "Unknown column '{value}'"),
    "duplicate_column": ("列「{column}」重复", "Column '{column}' appears twice"),
    "missing_column": ("缺少列「{column}」", "Column '{column}' is missing"),
    "no_rows": ("文件没有数据行", "The file has no data rows"),
    "too_many_rows": ("数据行超过 {value} 行", "More than {value} data rows"),
    "required": ("「{column}」不能为空", "'{column}' is required"),
    "too_long": ("「{column}」超出长度上限 {value}", "'{column}' is longer than {value}"),
    "control_characters": (
        "「{column}」不得包含控制字符",
        "'{column}' must not contain control characters",
    ),
    "invalid_code": (
        "编码只能包含字母、数字、_ . -",
        "A code may only contain letters, digits, _ . -",
    ),
    "invalid_level": (
        "层级应为 town/community/grid/building/household",
        "The level must be town, community, grid, building or household",
    ),
    "invalid_grid_kind": (
        "网格类型应为 compound/street/functional",
        "The grid kind must be compound, street or functional",
    ),
    "grid_kind_not_allowed": ("只有网格可以设置网格类型", "Only grids carry a grid kind"),
    "invalid_phone": ("联系电话应为手机号或固定电话", "Not a mobile or landline number"),
    "parent_not_allowed": ("镇(街道)是根节点，不能填写上级编码", "A town has no parent"),
    "duplicate_code": ("编码 {value} 在文件中重复", "Code {value} appears twice in the file"),
    "code_taken": ("编码 {value} 已被占用", "Code {value} is already taken"),
    "town_not_allowed": (
        "只有超级管理员可以创建镇(街道)",
        "Only a superuser may create towns",
    ),
    "parent_not_found": (
        "上级编码 {value} 不存在或无权使用",
        "Parent code {value} does not exist or is not yours to use",
    ),
    "parent_archived": ("上级组织 {value} 已归档", "Parent {value} is archived"),
    "parent_level_mismatch": (
        "上级 {value} 的层级不是恰好高一级",
        "Parent {value} is not exactly one level up",
    ),
}


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str | None
    problem_code: str
    value: str | None = None

    def render(self, lang: str) -> dict[str, Any]:
        zh, en = MESSAGES[self.problem_code]
        column = self.column or ""
        label = HEADER_NAMES_ZH.get(column, column) if lang != "en" else column
        template = en if lang == "en" else zh
        return {
            "row": self.row,
            "column": self.column,
            "problem_code": self.problem_code,
            "message": template.format(column=label, value=self.value or ""),
        }


@dataclass(frozen=True)
class ExistingParent:
    """A node already in the database that rows of the file hang under."""

    id: int
    level: str
    is_archived: bool
    ancestors: tuple[int | None, ...]
    """Its five ancestor columns, itself included."""


class ImportPlan:
    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        """code → position (0-based order of the valid-looking rows in the file)."""
        self.levels = bytearray()
        self.row_numbers = array("I")
        self.parents: list[str | None] = []
        self._interned: dict[str, str] = {}
        self._problems: list[RowProblem] = []
        self.problem_count = 0
        self._overflow = False
        self.ids: list[int] = []
        self.ancestors = array("q")
        self._spool: IO[str] = tempfile.TemporaryFile(  # noqa: SIM115 (closed by close())
            "w+", encoding="utf-8", newline=""
        )
        self._writer = csv.writer(self._spool)

    # -- pass 1 -----------------------------------------------------------------

    def problem(self, row: int, column: str | None, code: str, value: str | None = None) -> None:
        self.problem_count += 1
        if len(self._problems) < MAX_REPORTED:
            self._problems.append(RowProblem(row, column, code, value))

    def feed(self, row: int, raw: RawRow) -> None:
        """Check one row on its own and keep what the tree check needs."""
        if len(self.levels) >= MAX_ROWS:
            if not self._overflow:
                self.problem(row, None, "too_many_rows", str(MAX_ROWS))
            self._overflow = True
            return
        values = self._bounded(row, raw)
        code, _, level_word, parent = values[:4]
        if code is not None and not valid_code(code):
            self.problem(row, "code", "invalid_code")
        level = self._level(row, level_word)
        if level == 0 and parent is not None:
            self.problem(row, "parent_code", "parent_not_allowed")
        elif level not in (0, _NO_LEVEL) and parent is None and raw[_COL["parent_code"]] is None:
            self.problem(row, "parent_code", "required")
        values[_COL["grid_kind"]] = self._grid_kind(row, level, values[_COL["grid_kind"]])
        values[_COL["contact_phone"]] = self._phone(row, values[_COL["contact_phone"]])
        if code is None:
            return
        if code in self.codes:
            self.problem(row, "code", "duplicate_code", code)
            return
        # Rows with problems are kept too, so that duplicates and children of theirs are
        # checked in the same run; nothing is written unless every row passes anyway.
        self.codes[code] = len(self.levels)
        self.levels.append(level)
        self.row_numbers.append(row)
        self.parents.append(None if parent is None else self._interned.setdefault(parent, parent))
        self._writer.writerow(["" if v is None else v for v in values])

    def _bounded(self, row: int, raw: RawRow) -> list[str | None]:
        """Cells with over-long ones reported and dropped, and required ones checked."""
        values = list(raw)
        for column, limit in _MAX_LENGTH.items():
            value = values[_COL[column]]
            if value is not None and len(value) > limit:
                self.problem(row, column, "too_long", str(limit))
                values[_COL[column]] = None
            elif value is not None and has_control_characters(value):
                # The same rule as the API's text types (NUL would not even store).
                self.problem(row, column, "control_characters")
                values[_COL[column]] = None
            elif value is None and column in ("code", "name"):
                self.problem(row, column, "required")
        if values[_COL["level"]] is None:
            self.problem(row, "level", "required")
        return values

    def _phone(self, row: int, phone: str | None) -> str | None:
        if phone is None:
            return None
        try:
            return normalize_contact_phone(phone)
        except ValueError:
            self.problem(row, "contact_phone", "invalid_phone")
            return None

    def _level(self, row: int, word: str | None) -> int:
        if word is None:
            return _NO_LEVEL
        level = _LEVEL_WORDS.get(word.lower())
        if level is None:
            self.problem(row, "level", "invalid_level")
            return _NO_LEVEL
        return level

    def _grid_kind(self, row: int, level: int, word: str | None) -> str | None:
        if level != LEVELS.index(OrgLevel.grid):
            if word is not None and level != _NO_LEVEL:
                self.problem(row, "grid_kind", "grid_kind_not_allowed")
            return None
        if word is None:
            return GridKind.compound.value
        kind = _GRID_KIND_WORDS.get(word.lower())
        if kind is None:
            self.problem(row, "grid_kind", "invalid_grid_kind")
        return kind

    def finish_parsing(self) -> None:
        if not self.levels and not self.problem_count:
            self.problem(1, None, "no_rows")
        self._spool.flush()

    # -- pass 2 -----------------------------------------------------------------

    @property
    def size(self) -> int:
        return len(self.levels)

    def outside_parent_codes(self) -> list[str]:
        """Parent codes not defined in the file: they must exist already."""
        return sorted({p for p in self.parents if p is not None and p not in self.codes})

    def resolve(
        self, taken: set[str], existing: dict[str, ExistingParent], *, may_create_towns: bool
    ) -> None:
        """Check each row against the rest of the file and the database."""
        for code, k in self.codes.items():
            row = self.row_numbers[k]
            if code in taken:
                self.problem(row, "code", "code_taken", code)
            level = self.levels[k]
            if level == 0 and not may_create_towns:
                self.problem(row, "level", "town_not_allowed")
            parent = self.parents[k]
            if parent is None or level in (0, _NO_LEVEL):
                continue
            if parent in self.codes:
                parent_level = self.levels[self.codes[parent]]
            elif parent in existing:
                found = existing[parent]
                parent_level = LEVELS.index(OrgLevel(found.level))
                if found.is_archived:
                    self.problem(row, "parent_code", "parent_archived", parent)
            else:
                self.problem(row, "parent_code", "parent_not_found", parent)
                continue
            if parent_level not in (level - 1, _NO_LEVEL):
                self.problem(row, "parent_code", "parent_level_mismatch", parent)

    def problems(self, lang: str) -> list[dict[str, Any]]:
        ordered = sorted(self._problems, key=lambda p: (p.row, COLUMNS.index(p.column or "code")))
        return [p.render(lang) for p in ordered[:MAX_REPORTED]]

    def assign(self, ids: Sequence[int], existing: dict[str, ExistingParent]) -> None:
        """Give each row its id and compute its ancestor columns, parents first."""
        self.ids = list(ids)
        self.ancestors = array("q", bytes(8 * 5 * self.size))
        for level in range(len(LEVELS)):
            for k in (k for k in range(self.size) if self.levels[k] == level):
                parent = self.parents[k]
                if parent is None:
                    chain: Sequence[int | None] = (0, 0, 0, 0, 0)
                elif parent in self.codes:
                    p = self.codes[parent]
                    chain = self.ancestors[5 * p : 5 * p + 5]
                else:
                    chain = existing[parent].ancestors
                for j in range(level):
                    self.ancestors[5 * k + j] = chain[j] or 0
                self.ancestors[5 * k + level] = self.ids[k]
        self.parents = []
        self._interned = {}

    def counts(self) -> dict[str, int]:
        return {level.value: self.levels.count(i) for i, level in enumerate(LEVELS)}

    def records(self) -> Iterator[tuple[Any, ...]]:
        """Rows for COPY (see ``repository.COPY_COLUMNS``), re-read from the spool."""
        self._spool.seek(0)
        for k, values in enumerate(csv.reader(self._spool)):
            level = self.levels[k]
            chain = self.ancestors[5 * k : 5 * k + 5]
            code, name, _, _, grid_kind, address, contact_name, contact_phone = (
                v or None for v in values
            )
            yield (
                self.ids[k],
                code,
                name,
                LEVELS[level].value,
                chain[level - 1] if level else None,
                grid_kind,
                address,
                contact_name,
                contact_phone,
                *(v or None for v in chain),
            )

    def close(self) -> None:
        self._spool.close()
