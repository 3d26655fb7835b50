"""How long a voice note plays, read from its content (never from a field the client
sends): AMR-NB and SILK by counting their 20 ms frames, MP3, ADTS AAC and M4A by
mutagen, which reads their frame headers (and the Xing/VBRI or ``mvhd`` headers that
state a length). CPU-bound and bounded by the voice size limit: the service runs it in
a thread."""

import io
import math
from typing import Any

from mutagen.aac import AAC
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4

from app.files.errors import UnreadableVoice

FRAME_SECONDS = 0.020
"""AMR-NB (3GPP TS 26.101) and SILK both code 20 ms of speech per frame."""

AMR_MAGIC = b"#!AMR\n"
# Speech bits per frame type (TS 26.101 table 1a, modes 4.75 … 12.2 kbit/s, then SID),
# in whole bytes after the one-byte table of contents (RFC 4867 §5.3 storage format).
AMR_FRAME_BYTES = (12, 13, 15, 17, 19, 20, 26, 31, 5, None, None, None, None, None, None, 0)
"""Frame types 9-11 (other codecs' SID) and 12-14 (reserved) do not occur in a file
a phone records; 15 is NO_DATA, a frame of silence with only its header."""

SILK_MAGIC = b"#!SILK_V3"
SILK_END = 0xFFFF


def duration(media_type: str, data: bytes) -> float:
    """Seconds of audio in ``data``; ``UnreadableVoice`` when its frames do not parse."""
    if media_type == "audio/amr":
        return _amr(data)
    if media_type == "audio/silk":
        return _silk(data)
    return _mutagen(media_type, data)


def _amr(data: bytes) -> float:
    position, frames = len(AMR_MAGIC), 0
    while position < len(data):
        frame_type = (data[position] >> 3) & 0x0F
        size = AMR_FRAME_BYTES[frame_type]
        if size is None:
            raise UnreadableVoice()
        if position + 1 + size > len(data):
            break  # a recording cut off in its last frame still plays the ones before
        position += 1 + size
        frames += 1
    return frames * FRAME_SECONDS


def _silk(data: bytes) -> float:
    """WeChat's SILK: the magic (after an 0x02 byte in WeChat's variant), then frames of a
    little-endian 16-bit length and that many bytes, optionally ended by 0xFFFF."""
    position = data.index(SILK_MAGIC) + len(SILK_MAGIC)
    frames = 0
    while position + 2 <= len(data):
        length = int.from_bytes(data[position : position + 2], "little")
        if length == SILK_END:
            break
        if position + 2 + length > len(data):
            break  # cut off in its last frame, as AMR above
        position += 2 + length
        frames += 1
    return frames * FRAME_SECONDS


def _mutagen(media_type: str, data: bytes) -> float:
    reader: Any = {"audio/mpeg": MP3, "audio/aac": AAC, "audio/mp4": MP4}.get(media_type)
    if reader is None:
        raise UnreadableVoice()
    try:
        info = reader(io.BytesIO(data)).info
    except Exception:
        raise UnreadableVoice() from None
    if info is None:
        raise UnreadableVoice()
    length = float(info.length or 0.0)
    if not math.isfinite(length) or length < 0:  # NaN or infinity from a broken header
        raise UnreadableVoice()
    return length
