"""Settings, read once from the environment (12-factor).

Every setting is documented in README.md ("Settings"). Secrets have development
defaults so `make run` needs nothing; outside development those defaults are
refused at start-up rather than silently used.
"""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "dev-only-secret-key-change-me"
DEV_PII_KEY = "dev-only-pii-key-change-me"

Environment = Literal["development", "test", "production"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REDGRID_", extra="ignore")

    env: Environment = "development"
    """Deployment environment; anything but development refuses default secrets."""

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "REDGRID_DATABASE_URL")
    )
    """PostgreSQL URL. Unset: a private embedded PostgreSQL under `data_dir`."""

    data_dir: Path = Path("var")
    """Where the embedded PostgreSQL keeps its data between runs."""

    secret_key: str = DEV_SECRET_KEY
    """Signs access tokens."""

    pii_key: str = DEV_PII_KEY
    """Derives the keys that encrypt and index personal data (PIPL)."""

    host: str = "127.0.0.1"
    port: int = 8000

    max_body_bytes: int = 1024 * 1024
    """Request bodies above this answer 413."""

    db_pool_size: int = 10
    db_max_overflow: int = 10
    db_pool_timeout: float = 5.0
    """Seconds a request waits for a pooled connection before 503."""

    db_connect_timeout: float = 5.0
    db_statement_timeout_ms: int = 30_000

    access_token_ttl_seconds: int = 900
    """Access tokens are short-lived; clients refresh them."""

    refresh_token_ttl_days: int = 30

    login_max_failures: int = 5
    """等保 2.0: this many failed sign-ins within the window lock the account."""

    login_failure_window_minutes: int = 15
    login_lockout_minutes: int = 15

    wechat_base_url: str = "https://api.weixin.qq.com"
    """code2Session endpoint base; tests point it at a fake server on loopback."""

    wechat_apps: dict[str, str] = {}
    """Mini-program appid → app secret, as JSON: {"wx123": "secret"}."""

    wechat_timeout_seconds: float = 5.0
    """How long a code2Session call may take before sign-in answers 502."""

    audit_retention_days: int = 180
    """Audit events older than this are purged (never fewer than 180 days)."""

    max_upload_bytes: int = 64 * 1024 * 1024
    """Limit for import uploads (paths ending in /import)."""

    log_level: str = "INFO"
    log_json: bool = True

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> "Settings":
        if self.audit_retention_days < 180:
            raise ValueError("REDGRID_AUDIT_RETENTION_DAYS must be at least 180 (等保 2.0)")
        if self.env != "development":
            weak = [
                name
                for name, value, default in (
                    ("REDGRID_SECRET_KEY", self.secret_key, DEV_SECRET_KEY),
                    ("REDGRID_PII_KEY", self.pii_key, DEV_PII_KEY),
                )
                if value == default or len(value) < 32
            ]
            if weak:
                raise ValueError(
                    "refusing default or short (<32 chars) secrets outside development: "
                    + ", ".join(weak)
                )
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
