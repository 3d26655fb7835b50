"""User accounts (用户账号): who signs in. Linked to a person in the people domain."""

from datetime import datetime

from sqlalchemy import Boolean, DateTime, String, text
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
