"""Voice notes of a known length, built frame by frame as the encoders write them
(no encoder on the test machine needed): AMR-NB and SILK frames of 20 ms, MPEG-1
Layer III frames of 1152 samples, ADTS AAC frames of 1024 samples. The payloads are
silence-like filler; only the framing, which fixes the length, matters here."""

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
