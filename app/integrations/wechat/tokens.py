"""The access token of a mini-program, shared by every worker through the database:
read from the cache while it has more than ``REFRESH_MARGIN`` to live; otherwise one
worker at a time (an advisory lock) fetches a new one, and the others, once they get
the lock, find it already there. A token WeChat rejected (40001 / 42001) is passed as
``stale`` to force a refresh, unless another worker has replaced it meanwhile."""

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.integrations.wechat import messages, repository
from app.integrations.wechat.client import WechatUnavailable
from app.kit.crypto import FieldCipher, derive_key

REFRESH_MARGIN = timedelta(minutes=5)
_PURPOSE = "wechat-access-token"


def _cipher(settings: Settings) -> FieldCipher:
    return FieldCipher(derive_key(settings.pii_key, _PURPOSE))


async def current(
    session: AsyncSession, settings: Settings, app_id: str, *, stale: str | None = None
) -> str:
    """A token to send with; raises ``WechatUnavailable`` when none can be had (the
    app is not configured, or WeChat refuses or does not answer)."""
    cipher = _cipher(settings)
    aad = app_id.encode()
    found = await _usable(session, cipher, app_id, stale)
    if found is not None:
        return found
    await repository.lock_token(session, app_id)
    found = await _usable(session, cipher, app_id, stale)  # refreshed while we waited?
    if found is not None:
        return found
    secret = settings.wechat_apps.get(app_id)
    if secret is None:
        raise WechatUnavailable(None, f"mini-program {app_id} is not configured")
    token = await messages.fetch_token(
        settings.wechat_base_url,
        app_id=app_id,
        secret=secret,
        timeout_seconds=settings.wechat_timeout_seconds,
    )
    expires_at = datetime.now(UTC) + timedelta(seconds=token.expires_in)
    await repository.store_token(
        session, app_id, cipher.encrypt(token.value, associated_data=aad), expires_at
    )
    return token.value


async def _usable(
    session: AsyncSession, cipher: FieldCipher, app_id: str, stale: str | None
) -> str | None:
    stored = await repository.stored_token(session, app_id)
    if stored is None or stored.expires_at - REFRESH_MARGIN <= datetime.now(UTC):
        return None
    token = cipher.decrypt(stored.token, associated_data=app_id.encode())
    return None if token == stale else token
