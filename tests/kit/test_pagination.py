"""The cursor codec and the page helper every list uses."""

import base64
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from app.kit.pagination import BY_CODE, BY_ID, InvalidCursor, Keyset, paginate
from app.kit.types import DateTime, Id


def cursor_of(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


NEWEST_FIRST: Keyset[tuple[datetime, int]] = Keyset(DateTime, Id)


class TestKeyset:
    def test_round_trip(self) -> None:
        assert BY_ID.decode(BY_ID.encode(42)) == 42
        assert BY_CODE.decode(BY_CODE.encode("repair")) == "repair"
        key = (datetime(2026, 11, 21, 9, 30, 0, 123456, tzinfo=UTC), 7)
        assert NEWEST_FIRST.decode(NEWEST_FIRST.encode(key)) == key

    def test_no_cursor_is_the_first_page(self) -> None:
        assert BY_ID.decode(None) is None
        assert BY_ID.decode("") is None

    def test_cursors_are_url_safe(self) -> None:
        encoded = NEWEST_FIRST.encode((datetime(2026, 11, 21, tzinfo=UTC), 2**63 - 1))
        assert set(encoded) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        )

    @pytest.mark.parametrize(
        "raw",
        [
            b"[null]",
            b"[1e400]",
            b"[[[[1]]]]",
            b"[]",
            b"[1,2]",
            b'["1"]',
            b"[1.5]",
            b"[1.0]",
            b"[true]",
            b"[0]",
            b"[-1]",
            b"[9223372036854775808]",
            b'{"id":1}',
            b"1",
            b"not json",
            b"\xff\xfe",
        ],
    )
    def test_tampered_id_cursors(self, raw: bytes) -> None:
        with pytest.raises(InvalidCursor):
            BY_ID.decode(cursor_of(raw))

    def test_the_known_tampered_cursor(self) -> None:
        # base64 of [null]: it used to answer 500 on /people and three other lists.
        with pytest.raises(InvalidCursor):
            BY_ID.decode("W251bGxd")

    @pytest.mark.parametrize("cursor", ["!!!", "W251bGxd!", "\x00", "ü", "\ud800", "A"])
    def test_not_base64(self, cursor: str) -> None:
        with pytest.raises(InvalidCursor):
            BY_ID.decode(cursor)

    @pytest.mark.parametrize(
        "raw",
        [b'["a\\u0000b"]', b'["x\\u001b"]', b"[1]", b'[""]', b'["' + b"x" * 65 + b'"]'],
    )
    def test_tampered_code_cursors(self, raw: bytes) -> None:
        with pytest.raises(InvalidCursor):
            BY_CODE.decode(cursor_of(raw))

    @pytest.mark.parametrize(
        "raw",
        [
            b'["2026-11-21T09:00:00+08:00"]',
            b"[1700000000,1]",
            b'["2026-11-21",1]',
            b'["2026-11-21T09:00:00",1]',
            b'["9999-12-31T23:59:59-14:00",1]',
            b'["2026-11-21T09:00:00+08:00",null]',
            b'[1,"2026-11-21T09:00:00+08:00"]',
        ],
    )
    def test_tampered_composite_cursors(self, raw: bytes) -> None:
        with pytest.raises(InvalidCursor):
            NEWEST_FIRST.decode(cursor_of(raw))

    def test_the_error_is_a_400_with_a_stable_code(self) -> None:
        assert (InvalidCursor.status, InvalidCursor.code) == (400, "request.invalid_cursor")


class TestPaginate:
    @staticmethod
    def fetcher(rows: list[int]):  # type: ignore[no-untyped-def]
        calls: list[tuple[int | None, int]] = []

        async def fetch(after: int | None, n: int) -> Sequence[int]:
            calls.append((after, n))
            return [r for r in rows if after is None or r > after][:n]

        return fetch, calls

    async def test_fetches_one_more_row_than_the_page(self) -> None:
        fetch, calls = self.fetcher(list(range(1, 8)))
        page, next_cursor = await paginate(BY_ID, None, 3, fetch, key=lambda r: r)
        assert page == [1, 2, 3]
        assert calls == [(None, 4)]
        assert BY_ID.decode(next_cursor) == 3

    async def test_walks_every_row_once(self) -> None:
        fetch, _ = self.fetcher(list(range(1, 8)))
        seen: list[int] = []
        cursor: str | None = None
        while True:
            page, cursor = await paginate(BY_ID, cursor, 3, fetch, key=lambda r: r)
            seen += page
            if cursor is None:
                break
        assert seen == list(range(1, 8))

    async def test_an_exactly_full_last_page_has_no_next_cursor(self) -> None:
        fetch, _ = self.fetcher([1, 2, 3])
        assert await paginate(BY_ID, None, 3, fetch, key=lambda r: r) == ([1, 2, 3], None)

    async def test_a_tampered_cursor_never_reaches_the_query(self) -> None:
        fetch, calls = self.fetcher([1, 2, 3])
        with pytest.raises(InvalidCursor):
            await paginate(BY_ID, "W251bGxd", 3, fetch, key=lambda r: r)
        assert calls == []
