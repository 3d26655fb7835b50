"""Sign-in (OAuth 2.0, RFC 6749) and integration clients on the wire."""

import enum
import ipaddress
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from app.authz.permissions import ALL
from app.kit.schemas import StrictModel
from app.kit.types import Id, Line


def _known_permission(value: str) -> str:
    if value not in ALL:
        raise ValueError(f"unknown permission {value!r}")
    return value


Permission = Annotated[
    Line,
    AfterValidator(_known_permission),
    WithJsonSchema(
        {
            "type": "string",
            "enum": sorted(ALL),
            "description": "A permission name (权限), e.g. `org.read`; see README, "
            "'Roles and scopes'",
        }
    ),
]
"""A client's scopes are permission names from the catalogue (app.authz.permissions)."""


class TokenForm(BaseModel):
    """``application/x-www-form-urlencoded`` token request (RFC 6749 §4.3, §4.4, §6).
    Unknown parameters are ignored, as §3.2 requires; every value is one line of text
    (a NUL in a username used to reach PostgreSQL and answer 500)."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "grant_type": "password",
                    "username": "hongxing_admin",
                    "password": "Hongxing#2026",
                },
                {"grant_type": "refresh_token", "refresh_token": "m0rKq3…"},
                {
                    "grant_type": "client_credentials",
                    "client_id": "cli_3f9a1c0d5e7b2a64",
                    "client_secret": "s3cr3t…",
                    "scope": "org.read people.read",
                },
            ]
        },
    )
    grant_type: Line = Field(
        max_length=64,
        description="`password` (账号密码), `refresh_token` (刷新令牌) or "
        "`client_credentials` (接口客户端)",
    )
    username: Line | None = Field(default=None, max_length=64)
    password: Line | None = Field(default=None, max_length=128)
    refresh_token: Line | None = Field(default=None, max_length=128)
    client_id: Line | None = Field(
        default=None, max_length=64, description="Or send HTTP Basic credentials"
    )
    client_secret: Line | None = Field(default=None, max_length=128)
    scope: Line | None = Field(
        default=None, max_length=1000, description="Space-separated permissions (clients)"
    )


class TokenResponse(BaseModel):
    """RFC 6749 §5.1 access token response."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…",
                    "token_type": "bearer",
                    "expires_in": 900,
                    "refresh_token": "m0rKq3…",
                }
            ]
        }
    )
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_token: str | None = Field(
        default=None, description="Single use: each refresh returns the next one"
    )
    scope: str | None = Field(default=None, description="Granted scopes (clients)")


class WechatSignIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"code": "0a3Xk1ll2Wc9Ee4l…", "app_id": "wx8a7b6c5d4e3f2a1b"}]
        }
    )
    code: Line = Field(
        min_length=1, max_length=128, description="From wx.login() in the mini-program"
    )
    app_id: Line = Field(min_length=1, max_length=64, description="The mini-program's appid")


class Logout(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"refresh_token": "m0rKq3…"}]})
    refresh_token: Line = Field(min_length=1, max_length=128)


def _network(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        raise PydanticCustomError(
            "network", "Not an IP network (CIDR)", {"reason_zh": "应为 IP 网段（CIDR）"}
        ) from None


Network = Annotated[Line, Field(min_length=2, max_length=64), AfterValidator(_network)]


class ApiClientCreate(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "区 12345 热线对接",
                    "org_unit_id": 3,
                    "scopes": ["org.read", "people.read"],
                }
            ]
        }
    )
    name: Line = Field(min_length=1, max_length=100)
    org_unit_id: Id = Field(description="The node whose subtree the client reaches")
    scopes: list[Permission] = Field(
        max_length=20, description="Permissions the client may use there; at most the caller's"
    )
    allowed_ips: list[Network] = Field(
        default_factory=list,
        max_length=20,
        description="Networks (CIDR, IPv4 or IPv6) the client may call from; empty: anywhere",
    )


_CLIENT_EXAMPLE: JsonDict = {
    "id": 5,
    "client_id": "cli_3f9a1c0d5e7b2a64",
    "name": "区 12345 热线对接",
    "org_unit_id": 3,
    "scopes": ["org.read", "people.read"],
    "is_active": True,
    "created_at": "2026-11-21T17:30:00+08:00",
}


class ApiClientRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [_CLIENT_EXAMPLE]}
    )
    id: int
    client_id: str = Field(max_length=64)
    name: str = Field(max_length=100)
    org_unit_id: int
    scopes: list[str] = Field(max_length=20)
    allowed_ips: list[str] = Field(default_factory=list, max_length=20)
    is_active: bool
    created_at: datetime
    signing_algorithm: str | None = Field(
        default=None,
        max_length=16,
        description="签名算法 of its signed requests and our reports to it; null: no key yet",
    )
    report_url: str | None = Field(
        default=None, max_length=2000, description="Where its 12345 orders' steps are reported"
    )


class ApiClientSecret(ApiClientRead):
    """Returned once, when the client is created or its secret rotated; store it now."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{**_CLIENT_EXAMPLE, "client_secret": "Zk3…"}]}
    )
    client_secret: str = Field(description="Shown only this once; only a hash is kept")


class SigningAlgorithm(enum.StrEnum):
    """签名算法 · how signed requests and step reports are signed: ``hmac-sha256``, or
    ``hmac-sm3`` (国密 SM3, GB/T 32905-2016) where a platform requires the national
    algorithm."""

    hmac_sha256 = "hmac-sha256"
    """HMAC-SHA256, SHA-256 body digest."""
    hmac_sm3 = "hmac-sm3"
    """HMAC-SM3, SM3 body digest."""


ReportUrl = Annotated[
    Line,
    Field(
        min_length=8,
        max_length=2000,
        # Replaces Line's pattern, so it refuses control characters itself.
        pattern=r"^[hH][tT][tT][pP][sS]?://[^\s\x00-\x1f\x7f-\x9f]+$",
        description="回传地址 · where the platform hears the steps of its 12345 orders: "
        "https; public addresses only (checked after DNS, as webhook URLs)",
    ),
]


class SigningKeyIssue(StrictModel):
    """Issue (or replace) the client's signing key (签名密钥)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"algorithm": "hmac-sm3", "report_url": "https://12345.example.gov.cn/redgrid"}
            ]
        }
    )
    algorithm: SigningAlgorithm = SigningAlgorithm.hmac_sha256
    report_url: ReportUrl | None = Field(
        default=None, description="Where step reports go; null or omitted: no reports"
    )


class SigningKey(BaseModel):
    """Returned once, when a signing key is issued; store it now (kept encrypted, never
    shown again)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "client_id": "cli_3f9a1c0d5e7b2a64",
                    "algorithm": "hmac-sm3",
                    "report_url": "https://12345.example.gov.cn/redgrid",
                    "signing_secret": "9f2c…",
                }
            ]
        }
    )
    client_id: str = Field(max_length=64, description="The app key (X-Redgrid-Key)")
    algorithm: SigningAlgorithm
    report_url: str | None = Field(default=None, max_length=2000)
    signing_secret: str = Field(
        max_length=64, description="Shown only this once; 64 hex digits, used as UTF-8 text"
    )


class WechatLinked(BaseModel):
    wechat_identities: int = Field(description="WeChat identities (openids, unionid) now linked")
