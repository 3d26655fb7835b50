"""Language negotiation for API messages: Chinese by default, English on request.

Follows RFC 9110 §12.5.4 (Accept-Language with quality values); only ``zh`` and
``en`` are offered, and a tie or an absent header means Chinese.
"""

from typing import Literal

Lang = Literal["zh", "en"]


def negotiate_language(accept_language: str | None) -> Lang:
    if not accept_language:
        return "zh"
    best: tuple[float, Lang] = (0.0, "zh")
    for index, part in enumerate(accept_language.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary not in ("zh", "en"):
            continue
        # Earlier entries win ties, so "en, zh" is English and "zh, en" Chinese.
        score = quality - index * 1e-6
        if score > best[0]:
            best = (score, "en" if primary == "en" else "zh")
    return best[1]
