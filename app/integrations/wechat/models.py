"""WeChat subscribe messages (订阅消息): what residents agreed to receive, the messages
to send, and the access token shared by every worker."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin


class WechatSubscription(Base):
    """One-time subscriptions (一次性订阅) an account holds for a template: each
    "accept" in ``wx.requestSubscribeMessage`` allows one message, spent when sent."""

    __tablename__ = "wechat_subscription"
    __table_args__ = (CheckConstraint("credits >= 0", name="credits_not_negative"),)

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    template_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    credits: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    """Messages still allowed (accepts not yet spent)."""
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class WechatMessage(IdMixin, Base):
    """A subscribe message to send (``subscribeMessage.send``), with its retries."""

    __tablename__ = "wechat_message"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'refused', 'failed')", name="status"),
        Index(
            "ix_wechat_message_due", "next_attempt_at", postgresql_where=text("status = 'pending'")
        ),
        Index("ix_wechat_message_user_id_id", "user_id", "id"),
    )

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE")
    )
    app_id: Mapped[str] = mapped_column(String(64))
    openid: Mapped[str] = mapped_column(String(128))
    template_id: Mapped[str] = mapped_column(String(128))
    event_id: Mapped[int] = mapped_column(BigInteger)
    event_type: Mapped[str] = mapped_column(String(64))
    page: Mapped[str | None] = mapped_column(String(500))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    """Template key → value, as sent (``{"thing2": {"value": "楼道灯不亮"}}``)."""
    status: Mapped[str] = mapped_column(String(16), server_default=text("'pending'"))
    """``pending``, ``sent``, ``refused`` (43101: not subscribed or refused; not
    retried) or ``failed``."""
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    last_errcode: Mapped[int | None] = mapped_column(Integer)
    last_errmsg: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WechatAccessToken(Base):
    """The mini-program's access token (valid about two hours), shared by every worker
    and refreshed by one of them at a time (under an advisory lock)."""

    __tablename__ = "wechat_access_token"

    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[bytes] = mapped_column(LargeBinary)
    """Encrypted at rest (AES-256-GCM, ``app.kit.crypto``)."""
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    refreshed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
