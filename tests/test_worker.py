"""The procrastinate queue is wired to our database and the worker runs its jobs."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.queue import queue
from app.worker import open_queue


async def test_deferred_job_runs_through_the_worker(database_url: str, engine: AsyncEngine) -> None:
    async with open_queue(database_url) as opened:
        job_id = await opened.configure_task("ops.prune_finished_jobs").defer_async(timestamp=0)
        await opened.run_worker_async(
            queues=["maintenance"], wait=False, install_signal_handlers=False
        )
    async with engine.connect() as conn:
        status = (
            await conn.execute(
                text("SELECT status::text FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
            )
        ).scalar_one()
        await conn.execute(text("DELETE FROM procrastinate_jobs WHERE id = :id"), {"id": job_id})
        await conn.commit()
    assert status == "succeeded"


def test_periodic_maintenance_is_registered() -> None:
    assert "ops.prune_finished_jobs" in queue.tasks
    periodic_ids = [p.periodic_id for p in queue.periodic_registry.periodic_tasks.values()]
    assert "prune-finished-jobs" in periodic_ids


async def test_idempotency_records_older_than_48_hours_are_purged(
    database_url: str, engine: AsyncEngine
) -> None:
    insert = text(
        "INSERT INTO idempotency_record (subject, key, fingerprint, status_code, body, created_at)"
        " VALUES ('test:purge', :key, 'f', 201, '{}', now() - make_interval(hours => :hours))"
    )
    async with engine.begin() as conn:
        await conn.execute(insert, {"key": "old", "hours": 72})
        await conn.execute(insert, {"key": "fresh", "hours": 1})
    try:
        async with open_queue(database_url) as opened:
            job_id = await opened.configure_task(
                "integrations.purge_idempotency_records"
            ).defer_async(timestamp=0)
            await opened.run_worker_async(
                queues=["maintenance"], wait=False, install_signal_handlers=False
            )
        async with engine.connect() as conn:
            left = (
                (
                    await conn.execute(
                        text("SELECT key FROM idempotency_record WHERE subject = 'test:purge'")
                    )
                )
                .scalars()
                .all()
            )
            status = (
                await conn.execute(
                    text("SELECT status::text FROM procrastinate_jobs WHERE id = :id"),
                    {"id": job_id},
                )
            ).scalar_one()
        assert status == "succeeded"
        assert left == ["fresh"]
    finally:
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM idempotency_record WHERE subject = 'test:purge'"))
            await conn.execute(
                text("DELETE FROM procrastinate_jobs WHERE queue_name = 'maintenance'")
            )
