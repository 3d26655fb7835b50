"""Errors of file uploads and downloads."""

from app.errors import AppError, BusinessRuleViolation, Forbidden, NotFound


class UnsupportedMediaType(AppError):
    status = 415
    code = "file.unsupported_type"
    message_zh = "文件类型不支持，仅支持 JPEG、PNG、WebP 图片和 AMR、SILK、MP3、AAC 语音"
    message_en = (
        "Unsupported file type; send a JPEG, PNG or WebP image "
        "or an AMR, SILK, MP3 or AAC voice note"
    )


class UnreadableImage(BusinessRuleViolation):
    code = "file.unreadable_image"
    message_zh = "图片已损坏或无法解码"
    message_en = "The image is damaged or cannot be decoded"


class DecompressionBomb(BusinessRuleViolation):
    code = "file.decompression_bomb"
    message_zh = "图片像素过多（疑似解压炸弹）"
    message_en = "The image decodes to too many pixels (a decompression bomb)"


class VoiceTooLarge(AppError):
    """Over ``REDGRID_MAX_VOICE_BYTES``: the file's size."""

    status = 413
    code = "file.voice_too_large"
    message_zh = "语音文件过大"
    message_en = "The voice note file is too large"


class VoiceTooLong(BusinessRuleViolation):
    """Over ``REDGRID_MAX_VOICE_SECONDS``: how long it plays, read from its frames."""

    code = "file.voice_too_long"
    message_zh = "语音时长超过上限"
    message_en = "The voice note plays for longer than allowed"


class UnreadableVoice(BusinessRuleViolation):
    code = "file.unreadable_voice"
    message_zh = "语音已损坏或无法解析"
    message_en = "The voice note is damaged or cannot be parsed"


class FileNotFound(NotFound):
    code = "file.not_found"
    message_zh = "文件不存在"
    message_en = "No such file"


class BadSignature(Forbidden):
    code = "file.bad_signature"
    message_zh = "下载链接无效或已过期"
    message_en = "The download link is invalid or has expired"


class FileNotUsable(BusinessRuleViolation):
    code = "file.not_usable"
    message_zh = "只能引用本人上传且尚未使用的文件"
    message_en = "Only files you uploaded and have not attached elsewhere can be referenced"


class NotAUser(Forbidden):
    code = "file.not_a_user"
    message_zh = "接入应用不能上传文件"
    message_en = "Integration clients cannot upload files"
