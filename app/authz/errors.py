"""Refusals of a signed request (签名请求): 401, each with its own stable code, so an
integrator can tell a clock out of step from a wrong key. Nothing has changed when one
is raised (the nonce is spent only once the signature is good)."""

from app.errors import Unauthenticated


class SignatureMissing(Unauthenticated):
    code = "signature.missing"
    message_zh = "签名请求缺少必要的请求头"
    message_en = "A signed request needs all of its signature headers"


class SignatureMalformed(Unauthenticated):
    code = "signature.malformed"
    message_zh = "签名请求头格式不正确"
    message_en = "A signature header is malformed"


class SignatureUnknownClient(Unauthenticated):
    code = "signature.unknown_client"
    message_zh = "接入应用不存在、已停用或未开通签名"
    message_en = "The app key is unknown, disabled, or has no signing key"


class SignatureExpired(Unauthenticated):
    code = "signature.expired"
    message_zh = "请求时间戳超出允许范围"
    message_en = "The request timestamp is outside the allowed window"


class SignatureBad(Unauthenticated):
    code = "signature.bad"
    message_zh = "签名校验失败"
    message_en = "The signature does not match the request"


class SignatureReplayed(Unauthenticated):
    code = "signature.replayed"
    message_zh = "该随机数已使用过，请求被视为重放"
    message_en = "This nonce was used before; the request is a replay"
