"""The committed OpenAPI document (openapi/openapi.json) and its generation."""

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from app.openapi_contract import refine, unique_id

__all__ = ["OPENAPI_PATH", "OPENAPI_TAGS", "install", "render", "unique_id"]

OPENAPI_PATH = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"
REGENERATE_COMMAND = "make openapi"


OPENAPI_TAGS = [
    {"name": "auth", "description": "Sign-in, tokens and the current caller · 登录与令牌"},
    {"name": "api-clients", "description": "Integration clients and their scopes · 接入应用"},
    {"name": "users", "description": "Accounts and their role grants · 账号与授权"},
    {"name": "org-units", "description": "The five-level hierarchy · 五级组织体系"},
    {"name": "people", "description": "Residents and other people · 人员"},
    {"name": "members", "description": "Party members and dual registration · 党员与双报到"},
    {"name": "orders", "description": "Service orders: 居民点单 · 社区派单 · 党员接单"},
    {
        "name": "order-config",
        "description": "Categories, time limits, calendar, departments, teams · 工单配置",
    },
    {"name": "stats", "description": "KPIs (三率) over any subtree and period · 统计"},
    {"name": "points", "description": "Red points ledger, earning and leaderboards · 红色积分"},
    {"name": "rewards", "description": "The community shop · 爱心超市 / 幸福超市"},
    {
        "name": "activities",
        "description": "Volunteer activities: sign-up, QR check-in, hours · 志愿服务活动",
    },
    {
        "name": "work-units",
        "description": "Units, their pairings and yearly commitments · 单位与结对 (双报到)",
    },
    {
        "name": "dual-registrations",
        "description": "Members' registrations with communities, the 三个一 · 在职党员双报到",
    },
    {"name": "micro-wishes", "description": "Residents' small wishes, claimed · 微心愿"},
    {
        "name": "participation-reports",
        "description": "Service hours and the 双考评 reports · 服务时长与双考评",
    },
    {
        "name": "webhooks",
        "description": "Event subscriptions, signed per Standard Webhooks · 事件订阅",
    },
    {"name": "notifications", "description": "One's own inbox, fed by events · 站内通知"},
    {"name": "wechat", "description": "WeChat subscribe-message consent · 订阅消息"},
    {"name": "audit-log", "description": "Who did what, when · 审计日志"},
    {"name": "ops", "description": "Health, readiness and metrics for operators · 运维探针"},
]


def install(app: FastAPI) -> None:
    """``app.openapi()`` renders FastAPI's document, then :func:`refine` makes it true."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = refine(app, FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def render(app: FastAPI) -> str:
    """The document as committed: sorted keys, Chinese kept as it is."""
    return json.dumps(app.openapi(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
