"""event delivery: the outbox relay, webhooks, notifications, WeChat subscribe messages

Revision ID: 20261127_2200
Revises: 20261127_2100
Create Date: 2026-11-27 22:00:00+08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261127_2200"
down_revision: str | None = "20261127_2100"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ANCESTORS = ("community_id", "grid_id", "building_id", "household_id")
WEBHOOK_PERMISSIONS = {"town_admin": ["webhooks.manage"], "community_admin": ["webhooks.manage"]}
RECIPIENTS = (
    "resident",
    "assignee",
    "pool_members",
    "holder",
    "escalation_unit",
    "department",
    "points_member",
    "redeemer",
    "subscription_owner",
)
# (event type, recipient, title zh, title en, body zh, body en); {name} is filled from
# the event (app/notifications/rules.py).
NOTIFICATION_RULES = [
    (
        "order.triaged",
        "resident",
        "工单已受理",
        "Your order was accepted",
        "您的工单 {number}「{title}」已受理，我们会尽快安排。",
        'Your order {number} "{title}" was accepted and will be arranged soon.',
    ),
    (
        "order.rejected",
        "resident",
        "工单未受理",
        "Your order was not accepted",
        "您的工单 {number}「{title}」未被受理。",
        'Your order {number} "{title}" was not accepted.',
    ),
    (
        "order.accepted",
        "resident",
        "工单已有人接单",
        "Someone took on your order",
        "您的工单 {number}「{title}」已有人接单，正在处理。",
        'Your order {number} "{title}" was taken on and is being handled.',
    ),
    (
        "order.claimed",
        "resident",
        "工单已有人接单",
        "Someone took on your order",
        "您的工单 {number}「{title}」已有党员认领，正在处理。",
        'A party member claimed your order {number} "{title}" and is handling it.',
    ),
    (
        "order.resolved",
        "resident",
        "工单已办结，请评价",
        "Your order is resolved: please rate it",
        "您的工单 {number}「{title}」已处理完成，请进行回访评价。",
        'Your order {number} "{title}" was resolved; please tell us how it went.',
    ),
    (
        "order.auto_closed",
        "resident",
        "工单已办结",
        "Your order was closed",
        "您的工单 {number}「{title}」已办结。",
        'Your order {number} "{title}" was closed.',
    ),
    (
        "order.dispatched",
        "assignee",
        "您有新的派单",
        "An order was dispatched to you",
        "工单 {number}「{title}」已派给您，请及时接单。",
        'Order {number} "{title}" was dispatched to you; please accept it.',
    ),
    (
        "order.pooled",
        "pool_members",
        "抢单池有新工单",
        "A new order is in the pool",
        "工单 {number}「{title}」进入抢单池，欢迎认领。",
        'Order {number} "{title}" is in the pool; claim it if you can help.',
    ),
    (
        "order.escalated",
        "holder",
        "工单超时已上报",
        "An order you hold was escalated",
        "您处理的工单 {number}「{title}」已超过时限，已上报上一级。",
        'Order {number} "{title}" that you hold is overdue and was escalated.',
    ),
    (
        "order.escalated",
        "escalation_unit",
        "工单吹哨上报",
        "An order was escalated to you",
        "工单 {number}「{title}」超过时限，已上报至本级（吹哨），请督办。",
        'Order {number} "{title}" is overdue and was escalated to you.',
    ),
    (
        "order.arrival_overdue",
        "department",
        "部门报到超时",
        "Your department is late",
        "工单 {number}「{title}」已吹哨，贵部门未在时限内报到，请尽快报到。",
        'Order {number} "{title}" whistled for your department, which has not arrived in time.',
    ),
    (
        "order.arrival_overdue",
        "escalation_unit",
        "部门报到超时",
        "A department missed its arrival",
        "工单 {number}「{title}」吹哨后，职能部门未在时限内报到。",
        'A department whistled for order {number} "{title}" did not arrive in time.',
    ),
    (
        "points.awarded",
        "points_member",
        "红色积分到账",
        "Red points arrived",
        "您获得 {amount} 红色积分，当前余额 {balance}。",
        "You received {amount} red points; your balance is {balance}.",
    ),
    (
        "points.redeemed",
        "redeemer",
        "兑换成功，请领取",
        "Your reward is ready for pickup",
        "您已用 {points} 红色积分兑换商品，请凭取货码到积分超市领取。",
        "You redeemed a reward for {points} red points; collect it at the shop with your code.",
    ),
    (
        "webhook.disabled",
        "subscription_owner",
        "Webhook 已停用",
        "A webhook endpoint was disabled",
        "接收地址 {url} 持续投递失败，已自动停用；修复后可重新启用。",
        "The endpoint {url} kept failing and was disabled; enable it again once fixed.",
    ),
]
# One function for every drain table: its statement trigger NOTIFYs the channel named
# in the trigger, and PostgreSQL delivers it when (and only if) the insert commits.
NOTIFY_FUNCTION = """
CREATE FUNCTION redgrid_notify_channel() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], '');
    RETURN NULL;
END $$
"""
NOTIFY_TRIGGERS = {
    "outbox_event": "redgrid_outbox",
    "webhook_delivery": "redgrid_webhooks",
    "wechat_message": "redgrid_wechat",
}


def _timestamp(
    name: str, *, default: bool = False, nullable: bool = False
) -> "sa.Column[sa.DateTime]":
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=sa.text("now()") if default else None,
        nullable=nullable,
    )


def upgrade() -> None:
    for column in ANCESTORS:
        op.add_column("outbox_event", sa.Column(column, sa.BigInteger(), nullable=True))
    op.add_column("outbox_event", sa.Column("relay_error", sa.String(length=500), nullable=True))
    op.create_index(
        "ix_outbox_event_aggregate_unpublished",
        "outbox_event",
        ["aggregate_type", "aggregate_id", "id"],
        unique=False,
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_index(
        "ix_outbox_event_published_at",
        "outbox_event",
        ["published_at"],
        unique=False,
        postgresql_where=sa.text("published_at IS NOT NULL"),
    )
    op.create_table(
        "relay_counter",
        sa.Column("consumer", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("value", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "outcome", "shard", name=op.f("pk_relay_counter")),
    )
    op.add_column(
        "department_arrival", sa.Column("missed_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index(
        "ix_department_arrival_waiting",
        "department_arrival",
        ["due_at"],
        unique=False,
        postgresql_where=sa.text("arrived_at IS NULL AND missed_at IS NULL"),
    )
    _webhooks()
    _notifications()
    _wechat()
    op.execute(NOTIFY_FUNCTION)
    for table, channel in NOTIFY_TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {table}_notify AFTER INSERT ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION redgrid_notify_channel('{channel}')"
        )
    op.bulk_insert(
        sa.table("role_permission", sa.column("role"), sa.column("permission")),
        [{"role": r, "permission": p} for r, perms in WEBHOOK_PERMISSIONS.items() for p in perms],
    )


def _webhooks() -> None:
    op.create_table(
        "webhook_subscription",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("org_unit_id", sa.BigInteger(), nullable=False),
        sa.Column("owner_subject", sa.String(length=80), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("event_types", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("disabled_reason", sa.String(length=32), nullable=True),
        _timestamp("disabled_at", nullable=True),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("previous_secret", sa.LargeBinary(), nullable=True),
        _timestamp("previous_secret_expires_at", nullable=True),
        _timestamp("failing_since", nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("town_id", sa.BigInteger(), nullable=False),
        *(sa.Column(column, sa.BigInteger(), nullable=True) for column in ANCESTORS),
        _timestamp("created_at", default=True),
        _timestamp("updated_at", default=True),
        sa.ForeignKeyConstraint(
            ["org_unit_id"],
            ["org_unit.id"],
            name=op.f("fk_webhook_subscription_org_unit_id_org_unit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscription")),
    )
    for column in ("town_id", *ANCESTORS, "owner_subject"):
        op.create_index(
            op.f(f"ix_webhook_subscription_{column}"),
            "webhook_subscription",
            [column],
            unique=False,
        )
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("subscription_id", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("ordering_key", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "status", sa.String(length=16), server_default=sa.text("'pending'"), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        _timestamp("next_attempt_at", default=True),
        _timestamp("last_attempt_at", nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        _timestamp("finished_at", nullable=True),
        _timestamp("created_at", default=True),
        sa.CheckConstraint(
            "status IN ('pending', 'succeeded', 'failed')", name=op.f("ck_webhook_delivery_status")
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscription.id"],
            name=op.f("fk_webhook_delivery_subscription_id_webhook_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
    )
    op.create_index(
        "ix_webhook_delivery_due",
        "webhook_delivery",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_webhook_delivery_waiting",
        "webhook_delivery",
        ["subscription_id", "ordering_key", "event_id"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_webhook_delivery_subscription_id_id",
        "webhook_delivery",
        ["subscription_id", "id"],
        unique=False,
    )
    op.create_index(
        "ix_webhook_delivery_finished_at",
        "webhook_delivery",
        ["finished_at"],
        unique=False,
        postgresql_where=sa.text("status <> 'pending'"),
    )
    op.create_table(
        "webhook_attempt",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("delivery_id", sa.BigInteger(), nullable=False),
        _timestamp("attempted_at"),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("response_excerpt", sa.String(length=1000), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_delivery.id"],
            name=op.f("fk_webhook_attempt_delivery_id_webhook_delivery"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempt")),
    )
    op.create_index(
        "ix_webhook_attempt_delivery_id_id",
        "webhook_attempt",
        ["delivery_id", "id"],
        unique=False,
    )


def _notifications() -> None:
    op.create_table(
        "notification_rule",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=32), nullable=False),
        sa.Column("title_zh", sa.String(length=100), nullable=False),
        sa.Column("title_en", sa.String(length=100), nullable=False),
        sa.Column("body_zh", sa.String(length=300), nullable=False),
        sa.Column("body_en", sa.String(length=300), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        _timestamp("created_at", default=True),
        _timestamp("updated_at", default=True),
        sa.CheckConstraint(
            "recipient IN (" + ", ".join(f"'{r}'" for r in RECIPIENTS) + ")",
            name=op.f("ck_notification_rule_recipient"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_rule")),
        sa.UniqueConstraint(
            "event_type", "recipient", name=op.f("uq_notification_rule_event_type_recipient")
        ),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=32), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("title_zh", sa.String(length=100), nullable=False),
        sa.Column("title_en", sa.String(length=100), nullable=False),
        sa.Column("body_zh", sa.String(length=300), nullable=False),
        sa.Column("body_en", sa.String(length=300), nullable=False),
        sa.Column(
            "data",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        _timestamp("created_at", default=True),
        _timestamp("read_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_notification_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("user_id", "event_id", name=op.f("uq_notification_user_id_event_id")),
    )
    op.create_index("ix_notification_user_id_id", "notification", ["user_id", "id"], unique=False)
    op.create_index(
        "ix_notification_unread",
        "notification",
        ["user_id"],
        unique=False,
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.bulk_insert(
        sa.table(
            "notification_rule",
            sa.column("event_type"),
            sa.column("recipient"),
            sa.column("title_zh"),
            sa.column("title_en"),
            sa.column("body_zh"),
            sa.column("body_en"),
        ),
        [
            dict(
                zip(
                    ("event_type", "recipient", "title_zh", "title_en", "body_zh", "body_en"),
                    rule,
                    strict=True,
                )
            )
            for rule in NOTIFICATION_RULES
        ],
    )


def _wechat() -> None:
    op.create_table(
        "wechat_subscription",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("app_id", sa.String(length=64), nullable=False),
        sa.Column("template_id", sa.String(length=128), nullable=False),
        sa.Column("credits", sa.Integer(), server_default=sa.text("0"), nullable=False),
        _timestamp("updated_at", default=True),
        sa.CheckConstraint(
            "credits >= 0", name=op.f("ck_wechat_subscription_credits_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_wechat_subscription_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "user_id", "app_id", "template_id", name=op.f("pk_wechat_subscription")
        ),
    )
    op.create_table(
        "wechat_message",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("app_id", sa.String(length=64), nullable=False),
        sa.Column("openid", sa.String(length=128), nullable=False),
        sa.Column("template_id", sa.String(length=128), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("page", sa.String(length=500), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "status", sa.String(length=16), server_default=sa.text("'pending'"), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        _timestamp("next_attempt_at", default=True),
        sa.Column("last_errcode", sa.Integer(), nullable=True),
        sa.Column("last_errmsg", sa.String(length=200), nullable=True),
        _timestamp("created_at", default=True),
        _timestamp("finished_at", nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'refused', 'failed')",
            name=op.f("ck_wechat_message_status"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_wechat_message_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wechat_message")),
    )
    op.create_index(
        "ix_wechat_message_due",
        "wechat_message",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_wechat_message_user_id_id", "wechat_message", ["user_id", "id"], unique=False
    )
    op.create_table(
        "wechat_access_token",
        sa.Column("app_id", sa.String(length=64), nullable=False),
        sa.Column("token", sa.LargeBinary(), nullable=False),
        _timestamp("expires_at"),
        _timestamp("refreshed_at", default=True),
        sa.PrimaryKeyConstraint("app_id", name=op.f("pk_wechat_access_token")),
    )


def downgrade() -> None:
    op.execute("DELETE FROM role_permission WHERE permission LIKE 'webhooks.%'")
    for table in NOTIFY_TRIGGERS:
        op.execute(f"DROP TRIGGER {table}_notify ON {table}")
    op.execute("DROP FUNCTION redgrid_notify_channel()")
    op.drop_table("wechat_access_token")
    op.drop_table("wechat_message")
    op.drop_table("wechat_subscription")
    op.drop_table("notification")
    op.drop_table("notification_rule")
    op.drop_table("webhook_attempt")
    op.drop_table("webhook_delivery")
    op.drop_table("webhook_subscription")
    op.drop_index("ix_department_arrival_waiting", table_name="department_arrival")
    op.drop_column("department_arrival", "missed_at")
    op.drop_table("relay_counter")
    op.drop_index("ix_outbox_event_published_at", table_name="outbox_event")
    op.drop_index("ix_outbox_event_aggregate_unpublished", table_name="outbox_event")
    op.drop_column("outbox_event", "relay_error")
    for column in reversed(ANCESTORS):
        op.drop_column("outbox_event", column)
