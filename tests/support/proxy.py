"""A TCP proxy on loopback in front of the real PostgreSQL, to cut and restore it.

Lets a test take the database away from a running app and give it back, so the
503 and the recovery are observed against the real server, not a mock.
"""

import asyncio
import contextlib
from urllib.parse import parse_qs

from sqlalchemy.engine import make_url


class PostgresProxy:
    def __init__(self, upstream_url: str) -> None:
        url = make_url(upstream_url)
        socket_dir = parse_qs(url.render_as_string(hide_password=False).partition("?")[2]).get(
            "host", [None]
        )[0]
        self._unix_path = f"{socket_dir}/.s.PGSQL.{url.port or 5432}" if socket_dir else None
        self._host, self._port = url.host or "127.0.0.1", url.port or 5432
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def _open_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._unix_path:
            return await asyncio.open_unix_connection(self._unix_path)
        return await asyncio.open_connection(self._host, self._port)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await self._open_upstream()
        self._writers.update({writer, up_writer})
        for task in (
            asyncio.create_task(self._pipe(reader, up_writer)),
            asyncio.create_task(self._pipe(up_reader, writer)),
        ):
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Refuse new connections and cut every open one, as a crashed server would."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()
        for task in list(self._pipes):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def url_for(self, database_url: str) -> str:
        url = make_url(database_url).set(host="127.0.0.1", port=self.port, query={})
        return url.render_as_string(hide_password=False)
