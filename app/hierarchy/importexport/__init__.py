"""Bulk import and export of the hierarchy (xlsx and csv, parents referenced by code).

``formats`` reads and writes the files row by row; ``plan`` checks an import and
computes its rows without touching the database. The service runs the database
steps in between (existing codes, existing parents, id allocation, COPY).
"""

import logging
from typing import IO

from app.hierarchy.importexport.formats import (
    COLUMNS,
    ExportWriter,
    FileFormat,
    HeaderProblem,
    detect_format,
    read_rows,
)
from app.hierarchy.importexport.plan import MAX_REPORTED, MAX_ROWS, ExistingParent, ImportPlan

logger = logging.getLogger(__name__)

__all__ = [
    "COLUMNS",
    "MAX_REPORTED",
    "MAX_ROWS",
    "ExistingParent",
    "ExportWriter",
    "FileFormat",
    "ImportPlan",
    "detect_format",
    "parse",
]


def parse(stream: IO[bytes], fmt: FileFormat) -> ImportPlan:
    """Pass 1 over an uploaded file (blocking: run it in a worker thread)."""
    plan = ImportPlan()
    try:
        for number, cells in read_rows(stream, fmt):
            plan.feed(number, cells)
    except HeaderProblem as problem:
        plan.problem(
            1,
            problem.column if problem.problem_code != "unknown_column" else None,
            problem.problem_code,
            problem.column,
        )
    except Exception as error:
        # A truncated, mislabelled or hostile file (ParseError of an entity bomb,
        # csv.Error of a field over the limit, BadZipFile …): a 422 report, never a 500,
        # and no parser detail reaches the client.
        logger.info("import file unreadable: %s", type(error).__name__)
        plan.problem(1, None, "unreadable")
    plan.finish_parsing()
    return plan
