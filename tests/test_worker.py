"""The procrastinate queue is wired to our database and the worker runs its jobs."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.worker import open_queue, queue


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
