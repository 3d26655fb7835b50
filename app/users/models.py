"""User accounts (用户账号): who signs in, and the external identities linked to them."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, TimestampMixin


class UserAccount(IdMixin, TimestampMixin, Base):
    __tablename__ = "user_account"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    """Login name, unique across the deployment."""

    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    """argon2id hash; null for accounts that sign in only through WeChat."""

    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    is_superuser: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    """System administrator of the deployment: every permission everywhere."""

    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    person_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("person.id"), unique=True)
    """The person this account acts as (居民/党员), if any."""

    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    token_version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    """Carried by access tokens (``ver``) and checked on every request; raised when the
    password changes or the user signs out everywhere, so earlier access tokens stop."""


class UserIdentity(IdMixin, TimestampMixin, Base):
    """An external identity (WeChat openid per app, unionid) linked to our own account.

    WeChat gives a different openid per app, so identities point at our user id and
    are never used as it.
    """

    __tablename__ = "user_identity"
    __table_args__ = (UniqueConstraint("provider", "app_id", "subject"),)

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(String(32))
    """``wechat_openid`` or ``wechat_unionid``."""
    app_id: Mapped[str] = mapped_column(String(64), server_default=text("''"))
    """The mini-program's appid for openids; empty for unionids (shared across apps)."""
    subject: Mapped[str] = mapped_column(String(128))
