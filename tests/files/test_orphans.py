"""The orphan sweep (``files.purge_orphans``): uploads never attached within
``REDGRID_ORPHAN_FILE_HOURS`` lose their row and their bytes, on both storages;
attached and young files stay; and a file attached while the sweep runs is either
kept attached or refused to the attach, never an order pointing at deleted bytes.
Real committed rows and real parallel connections (``engine``)."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.audit.models import AuditEvent
from app.authz.principal import Principal
from app.config import Settings, get_settings
from app.files import service
from app.files.errors import FileNotUsable
from app.files.models import StoredFile
from app.hierarchy.models import OrgUnit
from app.orders.models import ServiceOrder
from app.queue import queue
from app.users.models import UserAccount
from app.worker import open_queue
from tests.conftest import make_settings
from tests.files.conftest import Backend, photo_with_gps
from tests.support.cleanup import purge_audit
from tests.support.factory import make_order, make_unit, make_user

HOURS = 24.0


@dataclass
class Made:
    users: list[int] = field(default_factory=list)
    units: list[int] = field(default_factory=list)  # children before parents
    orders: list[int] = field(default_factory=list)
    user_id: int = 0
    order_id: int = 0


@pytest.fixture
def files_settings(backend: Backend) -> Settings:
    return make_settings(data_dir=backend.files_dir, orphan_file_hours=HOURS, **backend.settings)


@pytest.fixture
async def made(engine: AsyncEngine) -> AsyncIterator[Made]:
    """A town, a community, an uploader and an order, committed; all removed after,
    with the files and the sweep's audit events."""
    result = Made()
    async with AsyncSession(engine, expire_on_commit=False) as session:
        town = await make_unit(session, "town")
        community = await make_unit(session, "community", town)
        user = await make_user(session)
        order = await make_order(session, community)
        await session.commit()
    result.users, result.units, result.orders = [user.id], [community.id, town.id], [order.id]
    result.user_id, result.order_id = user.id, order.id
    try:
        yield result
    finally:
        async with AsyncSession(engine) as session, session.begin():
            await session.execute(
                delete(StoredFile).where(StoredFile.owner_user_id.in_(result.users))
            )
            await session.execute(delete(ServiceOrder).where(ServiceOrder.id.in_(result.orders)))
            await purge_audit(session, users=result.users, towns=result.units)
            await session.execute(text("SET LOCAL session_replication_role = replica"))
            await session.execute(
                delete(AuditEvent).where(AuditEvent.action == "file.purge_orphans")
            )
            await session.execute(text("SET LOCAL session_replication_role = origin"))
            await session.execute(delete(UserAccount).where(UserAccount.id.in_(result.users)))
            for unit_id in result.units:
                await session.execute(delete(OrgUnit).where(OrgUnit.id == unit_id))
            await session.execute(
                text("DELETE FROM procrastinate_jobs WHERE task_name = 'files.purge_orphans'")
            )


async def add_file(
    engine: AsyncEngine,
    settings: Settings,
    made: Made,
    *,
    age_hours: float,
    attached: bool = False,
) -> StoredFile:
    """An uploaded photo and its thumbnail, in storage and as a committed row made
    ``age_hours`` ago."""
    store = service.storage(settings)
    key, thumb = store.new_key("jpg"), store.new_key("jpg")
    await store.put(key, photo_with_gps(), "image/jpeg")
    await store.put(thumb, b"thumbnail", "image/jpeg")
    row = StoredFile(
        owner_user_id=made.user_id,
        kind="image",
        media_type="image/jpeg",
        byte_size=1,
        sha256="0" * 64,
        storage_key=key,
        thumbnail_key=thumb,
        order_id=made.order_id if attached else None,
        created_at=datetime.now(UTC) - timedelta(hours=age_hours),
    )
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        session.add(row)
    return row


async def exists(engine: AsyncEngine, file_id: int) -> bool:
    async with AsyncSession(engine) as session:
        return await session.get(StoredFile, file_id) is not None


def keys(row: StoredFile) -> set[str]:
    return {row.storage_key, *([row.thumbnail_key] if row.thumbnail_key else [])}


def uploader(made: Made) -> Principal:
    return Principal(
        kind="user", subject=f"user:{made.user_id}", display_name="u", user_id=made.user_id
    )


async def sweep(engine: AsyncEngine, settings: Settings) -> int:
    async with AsyncSession(engine) as session, session.begin():
        return await service.purge_orphans(session, settings, datetime.now(UTC))


class TestSweep:
    async def test_old_unattached_go_young_and_attached_stay(
        self, engine: AsyncEngine, files_settings: Settings, made: Made, backend: Backend
    ) -> None:
        orphan = await add_file(engine, files_settings, made, age_hours=HOURS + 1)
        young = await add_file(engine, files_settings, made, age_hours=HOURS - 1)
        attached = await add_file(engine, files_settings, made, age_hours=HOURS * 10, attached=True)
        assert keys(orphan) | keys(young) | keys(attached) <= backend.stored()

        assert await sweep(engine, files_settings) == 1

        assert not await exists(engine, orphan.id)
        assert not keys(orphan) & backend.stored()  # the photo and its thumbnail
        for kept in (young, attached):
            assert await exists(engine, kept.id) and keys(kept) <= backend.stored()
        async with AsyncSession(engine) as session:
            events = (
                await session.scalars(
                    select(AuditEvent).where(AuditEvent.action == "file.purge_orphans")
                )
            ).all()
        assert [e.summary for e in events] == ["删除 1 个超过 24 小时未引用的上传文件"]
        assert await sweep(engine, files_settings) == 0  # a second run finds nothing

    async def test_the_age_is_configuration(
        self, engine: AsyncEngine, files_settings: Settings, made: Made
    ) -> None:
        row = await add_file(engine, files_settings, made, age_hours=2)
        assert await sweep(engine, files_settings) == 0
        shorter = files_settings.model_copy(update={"orphan_file_hours": 1.0})
        assert await sweep(engine, shorter) == 1
        assert not await exists(engine, row.id)

    async def test_two_sweeps_at_once_share_the_work(
        self, engine: AsyncEngine, files_settings: Settings, made: Made, backend: Backend
    ) -> None:
        rows = [await add_file(engine, files_settings, made, age_hours=HOURS + 1) for _ in range(6)]

        async def batch() -> int:
            async with AsyncSession(engine) as session, session.begin():
                return await service.purge_orphans(
                    session, files_settings, datetime.now(UTC), limit=2
                )

        counts = await asyncio.gather(*(batch() for _ in range(3)))
        counts += [await sweep(engine, files_settings)]
        assert sum(counts) == 6  # each file deleted exactly once
        for row in rows:
            assert not await exists(engine, row.id) and not keys(row) & backend.stored()


class TestAttachDuringSweep:
    async def test_a_file_being_attached_is_skipped_and_kept(
        self, engine: AsyncEngine, files_settings: Settings, made: Made, backend: Backend
    ) -> None:
        row = await add_file(engine, files_settings, made, age_hours=HOURS + 1)
        async with AsyncSession(engine) as attaching:
            await attaching.begin()
            attached = await service.attach_to_order(
                attaching, uploader(made), [row.id], made.order_id
            )
            assert attached == [row.id]  # the row is locked by the uncommitted UPDATE

            async with AsyncSession(engine) as session, session.begin():
                # Guards against a sweep that waits instead of skipping: it would hang.
                await session.execute(text("SET LOCAL lock_timeout = '20s'"))
                assert await service.purge_orphans(session, files_settings, datetime.now(UTC)) == 0
            await attaching.commit()

        assert await sweep(engine, files_settings) == 0
        async with AsyncSession(engine) as session:
            kept = await session.get(StoredFile, row.id)
        assert kept is not None and kept.order_id == made.order_id
        assert keys(row) <= backend.stored()

    async def test_an_attach_after_the_sweep_locked_the_file_is_refused(
        self, engine: AsyncEngine, files_settings: Settings, made: Made, backend: Backend
    ) -> None:
        row = await add_file(engine, files_settings, made, age_hours=HOURS + 1)
        async with AsyncSession(engine) as sweeping:
            await sweeping.begin()
            assert await service.purge_orphans(sweeping, files_settings, datetime.now(UTC)) == 1

            attacher_pid: list[int] = []

            async def attach() -> list[int]:
                async with AsyncSession(engine) as session, session.begin():
                    attacher_pid.append(await session.scalar(text("SELECT pg_backend_pid()")))
                    return await service.attach_to_order(
                        session, uploader(made), [row.id], made.order_id
                    )

            attaching = asyncio.create_task(attach())
            # Wait until the attach is blocked on the sweep's row lock (not a timing:
            # the database says it waits).
            async with AsyncSession(engine) as watcher:
                while True:
                    await asyncio.sleep(0.05)
                    if not attacher_pid:
                        continue
                    waiting = await watcher.scalar(
                        text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                        {"pid": attacher_pid[0]},
                    )
                    await watcher.rollback()
                    if waiting == "Lock":
                        break
            assert not attaching.done()
            await sweeping.commit()

        with pytest.raises(FileNotUsable):
            await attaching
        assert not await exists(engine, row.id)
        assert not keys(row) & backend.stored()
        async with AsyncSession(engine) as session:
            order = await session.get(ServiceOrder, made.order_id)
            assert order is not None and row.id not in (order.attachment_file_ids or [])


class TestJob:
    def test_runs_every_hour_in_the_worker(self) -> None:
        periodic = {p.periodic_id: p for p in queue.periodic_registry.periodic_tasks.values()}
        assert periodic["purge-orphan-files"].cron == "23 * * * *"
        assert periodic["purge-orphan-files"].task.name == "files.purge_orphans"

    async def test_the_worker_runs_it_and_commits(
        self,
        database_url: str,
        engine: AsyncEngine,
        files_settings: Settings,
        made: Made,
        backend: Backend,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        orphan = await add_file(engine, files_settings, made, age_hours=HOURS + 1)
        attached = await add_file(engine, files_settings, made, age_hours=HOURS + 1, attached=True)
        # The job reads the process settings (as ``redgrid worker`` does): point them here.
        monkeypatch.setenv("REDGRID_DATA_DIR", str(backend.files_dir))
        for name, value in backend.settings.items():
            monkeypatch.setenv(f"REDGRID_{name.upper()}", str(value))
        get_settings.cache_clear()
        try:
            async with open_queue(database_url) as opened:
                await opened.configure_task("files.purge_orphans").defer_async(timestamp=0)
                await opened.run_worker_async(
                    queues=["maintenance"], wait=False, install_signal_handlers=False
                )
        finally:
            get_settings.cache_clear()

        assert not await exists(engine, orphan.id) and not keys(orphan) & backend.stored()
        assert await exists(engine, attached.id) and keys(attached) <= backend.stored()
