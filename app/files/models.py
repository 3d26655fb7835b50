"""Uploaded files (照片、语音): the blob lives in storage, the row says whose it is and
what it is attached to. Not scoped itself: a file is read through the object it is
attached to (an order) or by whoever uploaded it."""

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, TimestampMixin


class StoredFile(IdMixin, TimestampMixin, Base):
    __tablename__ = "stored_file"
    __table_args__ = (
        # The orphan sweep's range (``files.purge_orphans``): only unattached rows, a
        # small set however many attached files accumulate.
        Index(
            "ix_stored_file_unattached_created_at",
            "created_at",
            postgresql_where=text("order_id IS NULL"),
        ),
    )

    owner_user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id"), index=True
    )
    """Who uploaded it; only they may attach it, and read it until then."""
    kind: Mapped[str] = mapped_column(String(8))
    """``image`` or ``voice``."""
    media_type: Mapped[str] = mapped_column(String(64))
    """Taken from the content, never from the name or the declared type."""
    byte_size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    thumbnail_key: Mapped[str | None] = mapped_column(String(200))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    """How long a voice note plays, read from its frames; none for an image."""
    order_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("service_order.id"), index=True
    )
    """The order it is attached to (on submit, resolve or a note), once attached."""
