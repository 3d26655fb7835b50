"""Settings, read once from the environment (12-factor).

Every setting is documented in README.md ("Settings"). Secrets have development
defaults so `make run` needs nothing; outside development those defaults are
refused at start-up rather than silently used.
"""

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Literal

from limits import parse as parse_rate
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# At least 32 bytes, so PyJWT's key-length check (RFC 7518 §3.2) has nothing to say even
# in development; published in the repository, so refused outside it.
DEV_SECRET_KEY = "dev-only-secret-key-change-me-never-use-in-production"
DEV_PII_KEY = "dev-only-pii-key-change-me"

Environment = Literal["development", "test", "production"]


class WechatTemplate(BaseModel):
    """One subscribe-message template of a mini-program, bound to an event type."""

    model_config = ConfigDict(extra="forbid")

    template_id: str
    page: str | None = None
    """Page the message opens, formatted with the event's fields (``{order_id}``)."""
    fields: dict[str, str]
    """Template key (``thing2``) → value, formatted with the event's fields (``{title}``)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REDGRID_", extra="ignore")

    env: Environment = "development"
    """Deployment environment; anything but development refuses default secrets."""

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "REDGRID_DATABASE_URL")
    )
    """PostgreSQL URL. Unset: a private embedded PostgreSQL under `data_dir`."""

    read_database_url: str | None = None
    """A read replica of the database (a streaming standby). Set: lists and KPI reports
    of GET requests read from it; everything else uses the primary. Unset: the primary
    serves everything."""

    data_dir: Path = Path("var")
    """Where the embedded PostgreSQL keeps its data between runs."""

    secret_key: str = DEV_SECRET_KEY
    """Signs access tokens."""

    pii_key: str = DEV_PII_KEY
    """Derives the keys that encrypt and index personal data (PIPL): key id "1" of the
    PII key ring. It also seals stored idempotent responses and webhook secrets."""

    pii_keys: dict[str, str] = {}
    """Further PII keys by id, as JSON: {"2": "…"}. Every ciphertext names its key id;
    values under an older key stay readable until ``redgrid rotate-pii-key``."""

    pii_key_id: str = "1"
    """The key id new personal data is encrypted under (``1`` is ``REDGRID_PII_KEY``)."""

    def pii_keyring(self) -> tuple[dict[str, str], str]:
        """Key id → secret, and the active id."""
        return {"1": self.pii_key, **self.pii_keys}, self.pii_key_id

    host: str = "127.0.0.1"
    port: int = 8000

    @property
    def uses_dev_secrets(self) -> bool:
        """Signing or PII keys are the development defaults published in the repository."""
        return self.secret_key == DEV_SECRET_KEY or self.pii_key == DEV_PII_KEY

    docs: bool | None = None
    """Serve /docs, /redoc and /openapi.json; unset: everywhere but production."""

    metrics_token: str | None = None
    """Bearer token /metrics requires. Unset: /metrics answers everyone in development
    and test, and nobody (404) in production."""

    @property
    def docs_enabled(self) -> bool:
        return self.docs if self.docs is not None else self.env != "production"

    cors_origins: list[str] = []
    """Browser origins (``https://h5.example.gov.cn``) allowed to call the API, as JSON:
    ["https://a", "https://b"]. Empty: no cross-origin browser access at all."""

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

    principal_cache_seconds: float = Field(default=30.0, ge=0)
    """How long a process reuses a caller's account and grants without reading them
    again (0: read on every request). A change made through another process — a grant
    revoked, an account deactivated, a sign-out everywhere — takes effect there within
    this bound; in the process that made it, at once."""

    login_max_failures: int = 5
    """等保 2.0: this many failed sign-ins for one account from one source within the
    window, and further attempts answer 429 until the window ends (throttling, not a
    lock an attacker could hold)."""

    login_account_max_failures: int = 20
    """Failed sign-ins for one account from all sources within the window."""

    login_source_max_failures: int = 50
    """Failed sign-ins from one source address, whatever the account, within the window."""

    login_failure_window_minutes: int = 15

    client_rate_limit: str | None = "600/minute"
    """Calls one integration client may make (one rate in ``limits`` notation:
    ``600/minute``, ``20/second``); empty: unlimited. Over it, 429 with ``Retry-After``
    and the ``RateLimit-*`` headers."""

    @field_validator("client_rate_limit")
    @classmethod
    def _rate(cls, value: str | None) -> str | None:
        if value:
            parse_rate(value)  # ValueError names the notation
        return value or None

    signature_window_seconds: int = Field(default=300, ge=30, le=3600)
    """Signed requests of integration clients: how far ``X-Redgrid-Timestamp`` may lie
    from our clock, either way (±5 minutes by default); nonces are remembered twice as
    long."""

    points_approval_threshold: int = Field(default=500, ge=0)
    """四眼原则: a manual award or deduction of more points than this (absolute value)
    waits for a second holder of ``points.award`` to approve it."""

    redis_url: str | None = None
    """Shared state of the rate limits in Redis (``redis://…``); unset: in PostgreSQL."""

    wechat_base_url: str = "https://api.weixin.qq.com"
    """code2Session endpoint base; tests point it at a fake server on loopback."""

    wechat_apps: dict[str, str] = {}
    """Mini-program appid → app secret, as JSON: {"wx123": "secret"}."""

    wechat_timeout_seconds: float = 5.0
    """How long a code2Session call may take before sign-in answers 502."""

    wechat_templates: dict[str, dict[str, WechatTemplate]] = {}
    """Subscribe-message templates (订阅消息) per mini-program appid and event type, as
    JSON: {"wx123": {"order.resolved": {"template_id": "…", "page": "pages/order?id={order_id}",
    "fields": {"character_string1": "{number}", "thing2": "{title}"}}}}."""

    wechat_send_retry_schedule_seconds: list[float] = [60, 300, 1800, 7200]
    """Waits before retrying a subscribe message WeChat refused for a passing reason
    (rate limit, system busy); after the last, the message is failed."""

    invitation_url: str = "https://redgrid.example/join"
    """Household invitation codes are printed as a QR code of ``<this>?code=<code>``
    (a mini-program page or URL-scheme link that opens the join page)."""

    outbox_retention_hours: float = 72
    """Published outbox events are purged this long after publication."""

    relay_batch_size: int = 200
    """Events the relay takes per transaction."""

    webhook_allow_private_urls: bool = False
    """Accept ``http://`` receiver URLs and private, loopback or link-local addresses
    (OWASP API7, SSRF). For tests and development only: refused in production."""

    webhook_timeout_seconds: float = 15.0
    """A delivery succeeds on a 2xx within this time, whole exchange included."""

    webhook_retry_schedule_seconds: list[float] = [5, 300, 1800, 7200, 18000, 36000, 36000]
    """Waits after each failed attempt (±20 % jitter): 5 s, 5 min, 30 min, 2 h, 5 h,
    10 h, 10 h, about 27 h in all (as Svix does); then the delivery is failed."""

    webhook_disable_after_days: float = 5
    """An endpoint whose deliveries have failed without a success for this long is
    disabled and its owner told."""

    webhook_secret_overlap_hours: float = 24
    """After a secret rotation, deliveries are signed with the old secret too for this
    long, so receivers can switch without losing a message."""

    webhook_batch_size: int = 25
    """Deliveries one lane of the sender claims and sends at once (each to a different
    endpoint or order)."""

    webhook_lanes: int = 4
    """Lanes of one sender job, each claiming and sending its own batches in its own
    transaction (so a slow endpoint in one batch does not hold up the others)."""

    webhook_log_retention_days: int = 30
    """Finished deliveries and their attempts are purged after this many days."""

    audit_retention_days: int = 180
    """Audit events older than this are purged (never fewer than 180 days)."""

    max_upload_bytes: int = 64 * 1024 * 1024
    """Limit for import uploads (paths ending in /import)."""

    max_file_bytes: int = 10 * 1024 * 1024
    """Limit for one upload to ``POST /api/v1/files`` (photos, voice notes), enforced
    while the body streams in: a larger one is cut off with 413."""

    max_voice_bytes: int = 2 * 1024 * 1024
    """Voice notes are short: about two minutes of AMR or AAC."""

    max_image_pixels: int = 40_000_000
    """Images that decode to more pixels than this are refused (decompression bombs)."""

    file_link_ttl_seconds: int = 600
    """Signed download links of files live this long."""

    max_voice_seconds: float = 60.0
    """Voice notes longer than this (read from their frames, not their size) are
    refused with 422 ``file.voice_too_long``."""

    orphan_file_hours: float = 24.0
    """Uploads not attached to an order (on submit, resolve or in a note) within this
    many hours are deleted, row and bytes, by the hourly ``files.purge_orphans`` job."""

    file_storage: Literal["disk", "s3"] = "disk"
    """Where uploads are kept: ``disk`` (under ``REDGRID_DATA_DIR``/files) or ``s3``,
    an S3-compatible object store (``REDGRID_S3_*``)."""

    s3_bucket: str | None = None
    """The bucket uploads go to (``REDGRID_FILE_STORAGE=s3``); it must exist."""

    s3_endpoint_url: str | None = None
    """The store's URL for anything but AWS (MinIO, Aliyun OSS, Tencent COS …)."""

    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    """Unset: boto3's own chain (environment, instance role)."""

    s3_secret_access_key: str | None = None
    s3_prefix: str = ""
    """Prepended to every object key (``redgrid/``), to share a bucket."""

    s3_addressing_style: Literal["path", "virtual", "auto"] = "path"
    """``path`` (bucket in the path) suits MinIO and most self-hosted stores;
    Aliyun OSS wants ``virtual``."""

    log_level: str = "INFO"
    log_json: bool = True

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> "Settings":
        if self.env == "production" and self.webhook_allow_private_urls:
            raise ValueError("REDGRID_WEBHOOK_ALLOW_PRIVATE_URLS is refused in production (SSRF)")
        if "*" in self.cors_origins and self.env == "production":
            raise ValueError("REDGRID_CORS_ORIGINS may not be * in production; name the origins")
        if self.file_storage == "s3" and not self.s3_bucket:
            raise ValueError("REDGRID_FILE_STORAGE=s3 needs REDGRID_S3_BUCKET")
        if self.audit_retention_days < 180:
            raise ValueError("REDGRID_AUDIT_RETENTION_DAYS must be at least 180 (等保 2.0)")
        if "1" in self.pii_keys:
            raise ValueError('REDGRID_PII_KEYS may not define key id "1": it is REDGRID_PII_KEY')
        if self.pii_key_id not in {"1", *self.pii_keys}:
            raise ValueError(f"REDGRID_PII_KEY_ID {self.pii_key_id!r} is not among the keys")
        if self.env != "development":
            weak = [
                name
                for name, value, default in (
                    ("REDGRID_SECRET_KEY", self.secret_key, DEV_SECRET_KEY),
                    ("REDGRID_PII_KEY", self.pii_key, DEV_PII_KEY),
                    *(
                        (f"REDGRID_PII_KEYS[{key_id}]", value, DEV_PII_KEY)
                        for key_id, value in self.pii_keys.items()
                    ),
                )
                if value == default or len(value) < 32
            ]
            if weak:
                raise ValueError(
                    "refusing default or short (<32 chars) secrets outside development: "
                    + ", ".join(weak)
                )
        return self


LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    """Only this machine can reach ``host`` (a name that is not loopback counts as public)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def refuse_public_bind(settings: Settings, host: str) -> str | None:
    """Why the server may not listen on ``host``, or None. Development secrets sign
    tokens anyone holding the repository can forge: loopback only."""
    if settings.uses_dev_secrets and not is_loopback(host):
        return (
            f"refusing to listen on {host} with the development REDGRID_SECRET_KEY or "
            "REDGRID_PII_KEY: set your own secrets, or listen on 127.0.0.1"
        )
    return None


@lru_cache
def get_settings() -> Settings:
    return Settings()
