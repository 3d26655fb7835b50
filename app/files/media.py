"""What an upload is, from its bytes: images decoded by Pillow and re-encoded (EXIF,
GPS and camera data dropped, orientation applied), voice notes by their magic
numbers. CPU-bound: the service runs it in a thread."""

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from app.files.errors import DecompressionBomb, UnreadableImage, UnsupportedMediaType

IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
THUMBNAIL_SIZE = (320, 320)
JPEG_QUALITY = 85

# Voice notes: WeChat records SILK (or AMR on old clients); phones send AAC/M4A or MP3.
VOICE_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"#!AMR\n", "audio/amr"),
    (0, b"#!SILK_V3", "audio/silk"),
    (1, b"#!SILK_V3", "audio/silk"),  # WeChat's variant with a leading 0x02
    (0, b"ID3", "audio/mpeg"),
    (4, b"ftypM4A ", "audio/mp4"),
    (4, b"ftypmp42", "audio/mp4"),
)


@dataclass(frozen=True)
class Processed:
    kind: str
    media_type: str
    data: bytes
    thumbnail: bytes | None = None
    width: int | None = None
    height: int | None = None

    @property
    def extension(self) -> str:
        return self.media_type.rpartition("/")[2].replace("jpeg", "jpg").replace("mpeg", "mp3")


def voice_type(head: bytes) -> str | None:
    for offset, magic, media_type in VOICE_MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return media_type
    if len(head) >= 2 and head[0] == 0xFF and head[1] in (0xFB, 0xF3, 0xF2, 0xF1, 0xF9):
        # An MP3 frame without an ID3 tag (0xFFFB …) or ADTS AAC (0xFFF1 / 0xFFF9).
        return "audio/aac" if head[1] in (0xF1, 0xF9) else "audio/mpeg"
    return None


def process(data: bytes, *, max_pixels: int) -> Processed:
    """Raises ``UnsupportedMediaType`` (415), ``DecompressionBomb`` or
    ``UnreadableImage`` (422)."""
    voice = voice_type(data[:16])
    if voice is not None:
        return Processed(kind="voice", media_type=voice, data=data)
    return _image(data, max_pixels)


def _image(data: bytes, max_pixels: int) -> Processed:
    try:
        # Opening reads the header only; the size is checked before any pixel is decoded.
        image = Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS))
    except UnidentifiedImageError:
        raise UnsupportedMediaType() from None
    except Image.DecompressionBombError:
        raise DecompressionBomb() from None
    except (OSError, ValueError, SyntaxError):
        raise UnreadableImage() from None
    if image.width * image.height > max_pixels:
        raise DecompressionBomb()
    try:
        image.load()
        upright = ImageOps.exif_transpose(image)
    except Image.DecompressionBombError:
        raise DecompressionBomb() from None
    except (OSError, ValueError, SyntaxError):
        raise UnreadableImage() from None
    return _reencode(upright, image.format or "")


def _reencode(image: Image.Image, source_format: str) -> Processed:
    """A new file from the pixels alone: nothing of the original's metadata (EXIF with
    GPS and camera, XMP, comments) is carried over."""
    keep_alpha = source_format == "PNG" and image.mode in ("RGBA", "LA", "P")
    if keep_alpha:
        image, fmt, media_type = image.convert("RGBA"), "PNG", "image/png"
    else:
        image, fmt, media_type = image.convert("RGB"), "JPEG", "image/jpeg"
    out = io.BytesIO()
    options = {"quality": JPEG_QUALITY, "optimize": True} if fmt == "JPEG" else {"optimize": True}
    image.save(out, fmt, **options)
    thumb = image.copy()
    thumb.thumbnail(THUMBNAIL_SIZE)
    thumb_out = io.BytesIO()
    thumb.convert("RGB").save(thumb_out, "JPEG", quality=80)
    return Processed(
        kind="image",
        media_type=media_type,
        data=out.getvalue(),
        thumbnail=thumb_out.getvalue(),
        width=image.width,
        height=image.height,
    )
