"""``redgrid verify-ledger``: recompute the ledger from its postings and report
every difference: the postings are the truth, and every stored balance, chain link
and total must be derivable from them.

Checks, each over the whole ledger:
1. every member account's balance equals the sum of its postings and its chain
   head (last_seq) counts them; system accounts were never updated;
2. every transaction has at least two postings and they sum to zero;
3. member postings carry their chain fields, system postings none;
4. every member chain, walked in (account_id, seq) order: seq runs 1, 2, 3 …,
   each prev_hash is the previous posting's hash (the genesis hash first), each
   running balance is right, each hash is recomputed with ``chain_hash`` (the
   Python twin of the SQL that wrote it), and the account row's head is the last
   posting;
5. every period total (month, quarter, year) equals its postings, by the business
   date (Asia/Shanghai) of their transaction and the bucket of ``rules.bucket_of``.

Sums and counts are SQL aggregates; the chain walk streams the postings through a
server-side cursor, so memory stays flat at any ledger size. Run it in a REPEATABLE
READ transaction (the CLI does) so all checks see one snapshot.
"""

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.session import create_engine
from app.points.ledger import chain_hash
from app.points.models import GENESIS_HASH
from app.points.rules import SPENT_KINDS

BATCH = 10_000
_SPENT = ", ".join(f"'{kind.value}'" for kind in sorted(SPENT_KINDS))

ACCOUNT_TOTALS = text(
    f"""
    SELECT a.id, a.kind, a.balance, a.last_seq, a.last_hash,
           coalesce(s.total, 0) AS total, coalesce(s.n, 0) AS n
      FROM points_account a
      LEFT JOIN (SELECT account_id, sum(amount) AS total, count(*) AS n
                   FROM points_posting GROUP BY account_id) s ON s.account_id = a.id
     WHERE (a.kind = 'member' AND (a.balance <> coalesce(s.total, 0)
                                   OR a.last_seq <> coalesce(s.n, 0)))
        OR (a.kind <> 'member' AND (a.balance <> 0 OR a.last_seq <> 0
                                    OR a.last_hash <> '{GENESIS_HASH}'))
     ORDER BY a.id
    """
)
UNBALANCED = text(
    """
    SELECT t.id, coalesce(s.total, 0) AS total, coalesce(s.n, 0) AS n
      FROM points_transaction t
      LEFT JOIN (SELECT transaction_id, sum(amount) AS total, count(*) AS n
                   FROM points_posting GROUP BY transaction_id) s ON s.transaction_id = t.id
     WHERE s.n IS NULL OR s.n < 2 OR s.total <> 0
     ORDER BY t.id
    """
)
MISSHAPEN = text(
    """
    SELECT p.id, p.account_id, a.kind
      FROM points_posting p JOIN points_account a ON a.id = p.account_id
     WHERE (a.kind = 'member') <> (p.seq IS NOT NULL AND p.balance_after IS NOT NULL
                                   AND p.prev_hash IS NOT NULL AND p.hash IS NOT NULL)
        OR (a.kind <> 'member' AND (p.seq IS NOT NULL OR p.balance_after IS NOT NULL
                                    OR p.prev_hash IS NOT NULL OR p.hash IS NOT NULL))
     ORDER BY p.id
    """
)
CHAINS = text(
    """
    SELECT p.account_id, p.id, p.seq, p.transaction_id, p.amount, p.balance_after,
           p.prev_hash, p.hash
      FROM points_posting p
     WHERE p.seq IS NOT NULL
     ORDER BY p.account_id, p.seq
    """
)
HEADS = text(
    "SELECT id, last_seq, last_hash FROM points_account"
    " WHERE kind = 'member' AND id = ANY(CAST(:ids AS bigint[]))"
)
PERIOD_TOTALS = text(
    f"""
    WITH posted AS (
        SELECT p.account_id,
               date_trunc('month', t.created_at AT TIME ZONE 'Asia/Shanghai')::date AS month,
               CASE WHEN coalesce(o.kind, t.kind) IN ({_SPENT}) THEN 0 ELSE p.amount END
                   AS earned,
               CASE WHEN coalesce(o.kind, t.kind) IN ({_SPENT}) THEN -p.amount ELSE 0 END
                   AS spent
          FROM points_posting p
          JOIN points_account a ON a.id = p.account_id AND a.kind = 'member'
          JOIN points_transaction t ON t.id = p.transaction_id
          LEFT JOIN points_transaction o ON o.id = t.reversal_of_id
    ), months AS (
        SELECT account_id, month, sum(earned) AS earned, sum(spent) AS spent
          FROM posted GROUP BY account_id, month
    ), expected AS (
        SELECT account_id, 'month' AS period, month AS period_start, earned, spent FROM months
        UNION ALL
        SELECT account_id, 'quarter', date_trunc('quarter', month)::date, sum(earned), sum(spent)
          FROM months GROUP BY account_id, date_trunc('quarter', month)::date
        UNION ALL
        SELECT account_id, 'year', date_trunc('year', month)::date, sum(earned), sum(spent)
          FROM months GROUP BY account_id, date_trunc('year', month)::date
    )
    SELECT coalesce(e.account_id, s.account_id) AS account_id,
           coalesce(e.period, s.period) AS period,
           coalesce(e.period_start, s.period_start) AS period_start,
           s.earned AS stored_earned, s.spent AS stored_spent,
           e.earned AS expected_earned, e.spent AS expected_spent
      FROM expected e
      FULL JOIN points_period_total s
        ON s.account_id = e.account_id AND s.period = e.period
       AND s.period_start = e.period_start
     WHERE coalesce(s.earned, 0) <> coalesce(e.earned, 0)
        OR coalesce(s.spent, 0) <> coalesce(e.spent, 0)
     ORDER BY 1, 2, 3
    """
)
COUNTS = text(
    "SELECT (SELECT count(*) FROM points_account), (SELECT count(*) FROM points_transaction),"
    " (SELECT count(*) FROM points_posting), (SELECT count(*) FROM points_period_total)"
)


@dataclass
class Report:
    differences: list[str] = field(default_factory=list)
    accounts: int = 0
    transactions: int = 0
    postings: int = 0
    period_totals: int = 0
    chains: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    """Wall time of each check."""
    emit: Callable[[str], None] | None = None

    def differ(self, message: str) -> None:
        self.differences.append(message)
        if self.emit is not None:
            self.emit(message)

    @property
    def clean(self) -> bool:
        return not self.differences

    def summary(self) -> str:
        state = "clean" if self.clean else f"{len(self.differences)} difference(s)"
        return (
            f"verify-ledger: {state} — {self.accounts} accounts, {self.transactions} "
            f"transactions, {self.postings} postings, {self.chains} member chains, "
            f"{self.period_totals} period totals"
        )


async def verify_ledger(
    session: AsyncSession, *, emit: Callable[[str], None] | None = None, batch: int = BATCH
) -> Report:
    report = Report(emit=emit)
    counts = (await session.execute(COUNTS)).one()
    report.accounts, report.transactions, report.postings, report.period_totals = counts
    checks: dict[str, Callable[[], Awaitable[None]]] = {
        "balances": lambda: _check_accounts(session, report),
        "transactions": lambda: _check_transactions(session, report),
        "posting shapes": lambda: _check_posting_shapes(session, report),
        "chains": lambda: _walk_chains(session, report, batch),
        "period totals": lambda: _check_period_totals(session, report),
    }
    for name, check in checks.items():
        started = time.perf_counter()
        await check()
        report.seconds[name] = time.perf_counter() - started
    return report


async def _check_accounts(session: AsyncSession, report: Report) -> None:
    for row in await session.execute(ACCOUNT_TOTALS):
        if row.kind != "member":
            report.differ(f"account {row.id} ({row.kind}): a system account row was updated")
            continue
        if row.balance != row.total:
            report.differ(
                f"account {row.id}: balance {row.balance} but its postings sum to {row.total}"
            )
        if row.last_seq != row.n:
            report.differ(
                f"account {row.id}: chain head at seq {row.last_seq} but it has {row.n} postings"
            )


async def _check_transactions(session: AsyncSession, report: Report) -> None:
    for row in await session.execute(UNBALANCED):
        if row.n < 2:
            report.differ(f"transaction {row.id}: {row.n} posting(s), at least 2 expected")
        if row.total != 0:
            report.differ(f"transaction {row.id}: postings sum to {row.total}, not 0")


async def _check_posting_shapes(session: AsyncSession, report: Report) -> None:
    for row in await session.execute(MISSHAPEN):
        report.differ(
            f"posting {row.id} (account {row.account_id}, {row.kind}): chain fields "
            "missing on a member posting or present on a system posting"
        )


@dataclass
class _Chain:
    account_id: int
    seq: int = 0
    hash: str = GENESIS_HASH
    balance: int = 0


async def _walk_chains(session: AsyncSession, report: Report, batch: int) -> None:
    connection = await session.connection()
    result = await connection.stream(CHAINS)
    chain: _Chain | None = None
    ended: list[_Chain] = []
    async for rows in result.partitions(batch):
        for row in rows:
            if chain is None or chain.account_id != row.account_id:
                if chain is not None:
                    ended.append(chain)
                chain = _Chain(row.account_id)
                report.chains += 1
            _step(chain, row, report)
        if len(ended) >= batch:
            await _check_heads(session, ended, report)
            ended = []
    await result.close()
    if chain is not None:
        ended.append(chain)
    await _check_heads(session, ended, report)


def _step(chain: _Chain, row: Any, report: Report) -> None:
    account_id, _, seq, transaction_id, amount, balance_after, prev_hash, hash_ = row
    balance = chain.balance + amount
    if (
        seq == chain.seq + 1
        and prev_hash == chain.hash
        and balance_after == balance >= 0
        and hash_ == chain_hash(prev_hash, account_id, seq, transaction_id, amount, balance_after)
    ):
        chain.seq, chain.hash, chain.balance = seq, hash_, balance
        return
    _report_step(chain, row, report)


def _report_step(chain: _Chain, row: Any, report: Report) -> None:
    """The slow path: say what is wrong with a posting that failed a check."""
    where = f"account {row.account_id} seq {row.seq} (posting {row.id})"
    if row.seq != chain.seq + 1:
        report.differ(f"{where}: seq {row.seq} follows seq {chain.seq}; the chain has a gap")
    if row.prev_hash != chain.hash:
        report.differ(f"{where}: prev_hash does not link to the previous posting's hash")
    chain.balance += row.amount
    if row.balance_after != chain.balance:
        report.differ(
            f"{where}: balance_after {row.balance_after} but the running balance is {chain.balance}"
        )
    if chain.balance < 0:
        report.differ(f"{where}: the running balance goes below zero ({chain.balance})")
    expected = chain_hash(
        row.prev_hash, row.account_id, row.seq, row.transaction_id, row.amount, row.balance_after
    )
    if row.hash != expected:
        report.differ(f"{where}: hash does not match the posting's content")
    chain.seq, chain.hash = row.seq, row.hash


async def _check_heads(session: AsyncSession, ended: list[_Chain], report: Report) -> None:
    if not ended:
        return
    heads = {
        row.id: row
        for row in await session.execute(HEADS, {"ids": [chain.account_id for chain in ended]})
    }
    for chain in ended:
        head = heads.get(chain.account_id)
        if head is None:
            report.differ(f"account {chain.account_id}: chain postings on a non-member account")
        elif head.last_seq != chain.seq or head.last_hash != chain.hash:
            report.differ(
                f"account {chain.account_id}: the account's chain head (seq {head.last_seq}) "
                f"is not its last posting (seq {chain.seq})"
            )


async def _check_period_totals(session: AsyncSession, report: Report) -> None:
    for row in await session.execute(PERIOD_TOTALS):
        report.differ(
            f"period total account {row.account_id} {row.period} {row.period_start}: "
            f"stored earned {row.stored_earned or 0} spent {row.stored_spent or 0}, "
            f"postings give earned {row.expected_earned or 0} spent {row.expected_spent or 0}"
        )


async def run(
    settings: Any, database_url: str, *, emit: Callable[[str], None] | None = None
) -> Report:
    """One REPEATABLE READ, read-only transaction: every check sees the same snapshot
    while the API keeps writing."""
    engine = create_engine(settings, database_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as raw:
            connection = await raw.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            async with connection.begin():
                # An audit reads the whole ledger: the API's statement timeout, meant
                # for requests, would cancel it at district scale (10 M postings).
                await connection.execute(text("SET LOCAL statement_timeout = 0"))
                session = AsyncSession(bind=connection)
                try:
                    return await verify_ledger(session, emit=emit)
                finally:
                    await session.close()
    finally:
        await engine.dispose()
