"""Voice notes of a known length, built frame by frame as the encoders write them
(no encoder on the test machine needed): AMR-NB and SILK frames of 20 ms, MPEG-1
Layer III frames of 1152 samples, ADTS AAC frames of 1024 samples, and an M4A whose
track header states its length. The payloads are silence-like filler; only the
framing, which fixes the length, matters here."""

import struct

AMR_MODE_7_BYTES = 31  # 12.2 kbit/s, the mode phones record in (TS 26.101)


def amr(seconds: float) -> bytes:
    frames = round(seconds / 0.020)
    toc = bytes([(7 << 3) | 0x04])  # frame type 7, quality bit set (RFC 4867 §5.3)
    return b"#!AMR\n" + (toc + b"\x00" * AMR_MODE_7_BYTES) * frames


def silk(seconds: float, *, wechat: bool = True) -> bytes:
    """WeChat's variant starts with 0x02 and ends with a 0xFFFF length."""
    frames = round(seconds / 0.020)
    frame = (40).to_bytes(2, "little") + b"\x5a" * 40
    head = (b"\x02" if wechat else b"") + b"#!SILK_V3"
    return head + frame * frames + (b"\xff\xff" if wechat else b"")


MP3_HEADER = bytes([0xFF, 0xFB, 0x98, 0xC0])
"""MPEG-1 Layer III, no CRC, 128 kbit/s, 32 kHz, no padding, mono: 576-byte frames of
1152 samples, 36 ms each."""


def mp3(seconds: float) -> bytes:
    frames = round(seconds / 0.036)
    return (MP3_HEADER + b"\x00" * (576 - len(MP3_HEADER))) * frames


def adts(seconds: float) -> bytes:
    """MPEG-4 AAC LC in ADTS at 16 kHz mono: frames of 1024 samples, 64 ms each."""
    frames = round(seconds / 0.064)
    length = 200
    header = bytes(
        [
            0xFF,
            0xF1,  # sync, MPEG-4, layer 0, no CRC
            (1 << 6) | (8 << 2) | 0,  # AAC LC, 16 kHz (index 8), channel config high bit
            (1 << 6) | (length >> 11),  # one channel, frame length (13 bits) …
            (length >> 3) & 0xFF,
            ((length & 0x07) << 5) | 0x1F,  # … and buffer fullness 0x7FF (VBR)
            0xFC,  # fullness, one raw data block
        ]
    )
    return (header + b"\x00" * (length - len(header))) * frames


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _full_box(kind: bytes, payload: bytes) -> bytes:
    return _box(kind, b"\x00\x00\x00\x00" + payload)  # version 0, no flags


def m4a(seconds: float, rate: int = 16000) -> bytes:
    """An M4A (ISO base media, ``ftyp M4A``) whose one AAC LC track lasts ``seconds``:
    ``moov`` with ``mvhd``, and a sound track whose ``mdhd`` states the duration in its
    time scale, as iOS's recorder writes; the ``mdat`` holds filler."""
    duration = round(seconds * rate)
    mvhd = _full_box(
        b"mvhd",
        struct.pack(">IIII", 0, 0, rate, duration)
        + b"\x00\x01\x00\x00\x01\x00"  # rate 1.0, volume 1.0
        + b"\x00" * 10
        + b"\x00" * 36  # matrix
        + b"\x00" * 24
        + struct.pack(">I", 2),  # next track id
    )
    mdhd = _full_box(b"mdhd", struct.pack(">IIII", 0, 0, rate, duration) + b"\x55\xc4\x00\x00")
    hdlr = _full_box(b"hdlr", b"\x00" * 4 + b"soun" + b"\x00" * 12 + b"SoundHandler\x00")
    # ES descriptor → decoder config (AAC, audio stream) → AudioSpecificConfig
    # (AAC LC, 16 kHz, mono) and the SL config (ISO/IEC 14496-1 §7.2.6).
    decoder = bytes([0x40, 0x15]) + b"\x00" * 3 + struct.pack(">II", 32000, 32000)
    decoder += bytes([0x05, 2, 0x14, 0x08])
    es = b"\x00\x00\x00" + bytes([0x04, len(decoder)]) + decoder + bytes([0x06, 1, 0x02])
    esds = _full_box(b"esds", bytes([0x03, len(es)]) + es)
    mp4a = _box(
        b"mp4a",
        b"\x00" * 6
        + b"\x00\x01"  # data reference index
        + b"\x00" * 8
        + struct.pack(">HHHH", 1, 16, 0, 0)  # channels, sample size
        + struct.pack(">I", rate << 16)
        + esds,
    )
    stsd = _full_box(b"stsd", struct.pack(">I", 1) + mp4a)
    trak = _box(b"trak", _box(b"mdia", mdhd + hdlr + _box(b"minf", _box(b"stbl", stsd))))
    ftyp = _box(b"ftyp", b"M4A \x00\x00\x02\x00M4A mp42isom")
    return ftyp + _box(b"moov", mvhd + trak) + _box(b"mdat", b"\x00" * 1000)
