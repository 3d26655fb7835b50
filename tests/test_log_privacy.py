"""No personal data in logs (issue 15): a database error is logged without the values
it was given or quotes back, whatever fails."""

import io
import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.config import Settings
from app.db.session import create_engine
from app.observability import RedactDatabaseErrors

MOBILE = "13800110002"


def _handler(stream: io.StringIO) -> logging.Handler:
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactDatabaseErrors())
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    return handler


@pytest.mark.parametrize(
    "statement",
    [
        # The bound value in the parameters …
        "SELECT CAST(:value AS integer) / 0",
        # … and PostgreSQL quoting it back in its own message.
        "SELECT CAST(:value || 'x' AS integer)",
    ],
)
async def test_a_database_error_logs_no_bound_or_quoted_value(
    settings: Settings, database_url: str, statement: str
) -> None:
    engine = create_engine(settings, database_url, pool_size=1, max_overflow=0)
    stream = io.StringIO()
    logger = logging.getLogger("test.log_privacy")
    logger.addHandler(_handler(stream))
    logger.propagate = False
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement), {"value": MOBILE})
    except DBAPIError as exc:
        assert MOBILE not in str(exc).split("\n[SQL:")[1]  # hide_parameters=True
        logger.exception("unhandled error")
    finally:
        await engine.dispose()
    output = stream.getvalue()
    assert "unhandled error" in output and "Traceback" in output
    assert "sqlstate=22" in output
    assert MOBILE not in output
