"""Answers of the files API."""

from datetime import datetime

from pydantic import BaseModel, Field


class FileRead(BaseModel):
    """An uploaded file, with short-lived signed links to its bytes (usable in an
    ``<image src>`` that cannot send a bearer token)."""

    id: int
    kind: str = Field(description="`image` or `voice`")
    media_type: str = Field(description="From the content: image/jpeg, image/png, audio/amr …")
    byte_size: int
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = Field(
        default=None, description="How long a voice note plays, read from its frames"
    )
    order_id: int | None = Field(default=None, description="The order it is attached to")
    url: str
    thumbnail_url: str | None = None
    links_expire_at: datetime
