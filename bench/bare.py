"""The reference for the HTTP benchmark: a bare FastAPI app on an asyncpg pool, no auth,
no ORM — what one framework request and one primary-key read cost on this machine.

    DATABASE_URL=postgresql://… python -m uvicorn bench.bare:app --port 8801
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI

_pool: asyncpg.Pool | None = None


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    global _pool
    dsn = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    _pool = await asyncpg.create_pool(dsn, min_size=10, max_size=10)
    yield
    await _pool.close()


app = FastAPI(lifespan=lifespan)


@app.get("/const")
async def const() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/row/{row_id}")
async def row(row_id: int) -> dict[str, object]:
    assert _pool is not None
    found = await _pool.fetchrow(
        "SELECT id, number, status, title FROM service_order WHERE id = $1", row_id
    )
    return dict(found) if found else {}
