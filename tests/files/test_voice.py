"""Voice notes: how long they play is read from their frames, and a note over
``REDGRID_MAX_VOICE_SECONDS`` is refused (422 ``file.voice_too_long``) leaving nothing
behind; against both storages (the ``backend`` fixture)."""

from collections.abc import Callable

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.files import audio
from app.files.errors import UnreadableVoice
from app.files.media import voice_type
from app.files.models import StoredFile
from tests.files import voice
from tests.files.conftest import Backend
from tests.orders.conftest import World
from tests.support.problems import assert_problem

URL = "/api/v1/files"
LIMIT = 60.0  # the default REDGRID_MAX_VOICE_SECONDS the files app runs with

FORMATS: dict[str, tuple[Callable[[float], bytes], str, float]] = {
    # name: (builder, media type, the tolerance of the length read back)
    "amr": (voice.amr, "audio/amr", 0.0),
    "silk": (voice.silk, "audio/silk", 0.0),
    "mp3": (voice.mp3, "audio/mpeg", 0.036),  # one frame
    "aac": (voice.adts, "audio/aac", 0.064),  # one frame
    "m4a": (voice.m4a, "audio/mp4", 0.0),
}


async def _upload(
    http: httpx.AsyncClient, world: World, data: bytes, **headers: str
) -> httpx.Response:
    return await http.post(
        URL,
        files={"file": ("voice.bin", data, "application/octet-stream")},
        headers=world["resident"] | headers,
    )


async def _files(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(StoredFile)) or 0)


@pytest.mark.parametrize("name", list(FORMATS))
class TestDuration:
    async def test_read_from_the_frames(
        self, name: str, http: httpx.AsyncClient, world: World
    ) -> None:
        build, media_type, tolerance = FORMATS[name]
        data = build(12.0)
        response = await _upload(http, world, data)
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["kind"], body["media_type"]) == ("voice", media_type)
        assert body["duration_seconds"] == pytest.approx(12.0, abs=tolerance + 0.001)
        assert (await http.get(body["url"])).content == data

    async def test_over_the_limit_is_refused_and_leaves_nothing(
        self, name: str, http: httpx.AsyncClient, world: World, db: AsyncSession, backend: Backend
    ) -> None:
        build, _, _ = FORMATS[name]
        before = backend.stored()
        response = await _upload(http, world, build(LIMIT + 1.2), **{"Accept-Language": "en"})
        body = assert_problem(response, 422, "file.voice_too_long")
        assert body["max_seconds"] == LIMIT
        assert body["duration_seconds"] == pytest.approx(LIMIT + 1.2, abs=0.1)
        assert "61.2 s" in body["detail"] and "60 s" in body["detail"]
        assert await _files(db) == 0 and backend.stored() == before

    async def test_just_under_the_limit_is_taken(
        self, name: str, http: httpx.AsyncClient, world: World
    ) -> None:
        build, _, _ = FORMATS[name]
        response = await _upload(http, world, build(LIMIT - 0.5))
        assert response.status_code == 201, response.text


class TestUnreadable:
    async def test_reserved_amr_frame_type_is_422(
        self, http: httpx.AsyncClient, world: World, db: AsyncSession, backend: Backend
    ) -> None:
        before = backend.stored()
        data = voice.amr(1.0) + bytes([13 << 3]) + b"\x00" * 31  # frame type 13 is reserved
        response = await _upload(http, world, data)
        assert_problem(response, 422, "file.unreadable_voice")
        assert await _files(db) == 0 and backend.stored() == before

    async def test_mp3_magic_without_frames_is_422(
        self, http: httpx.AsyncClient, world: World
    ) -> None:
        response = await _upload(http, world, b"ID3" + b"\x00" * 200)
        assert_problem(response, 422, "file.unreadable_voice")


class TestDurationParsers:
    """The parsers on their own: the framing rules they follow."""

    def test_amr_counts_20_ms_frames_of_every_mode(self) -> None:
        frames = b"".join(
            bytes([mode << 3]) + b"\x00" * size
            for mode, size in enumerate(audio.AMR_FRAME_BYTES[:9])
            if size is not None
        )
        assert audio.duration("audio/amr", b"#!AMR\n" + frames * 10) == pytest.approx(1.8)

    def test_amr_cut_off_in_its_last_frame_counts_the_whole_ones(self) -> None:
        data = voice.amr(2.0)
        assert audio.duration("audio/amr", data[:-5]) == pytest.approx(1.98)

    def test_silk_with_and_without_wechats_framing(self) -> None:
        assert voice_type(voice.silk(1.0)[:16]) == "audio/silk"
        assert audio.duration("audio/silk", voice.silk(3.0)) == pytest.approx(3.0)
        assert audio.duration("audio/silk", voice.silk(3.0, wechat=False)) == pytest.approx(3.0)

    @settings(max_examples=300, deadline=None)
    @given(
        magic=st.sampled_from([b"#!AMR\n", b"\x02#!SILK_V3", b"ID3", b"\xff\xfb", b"\xff\xf1"]),
        tail=st.binary(max_size=2048),
    )
    def test_hostile_bytes_give_a_length_or_unreadable_never_a_crash(
        self, magic: bytes, tail: bytes
    ) -> None:
        data = magic + tail
        media_type = voice_type(data[:16])
        assert media_type is not None
        try:
            seconds = audio.duration(media_type, data)
        except UnreadableVoice:
            return
        assert seconds >= 0

    def test_unknown_media_type_is_unreadable(self) -> None:
        with pytest.raises(UnreadableVoice):
            audio.duration("audio/ogg", b"OggS")
