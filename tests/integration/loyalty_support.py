"""Helpers of the Loyalty tests: events fed to the subscriber's service function, and the
ledger invariants every test ends by checking."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.loyalty import domain, service

RULES = domain.Rules()  # the defaults: lifetime window, 30-day grace, 1% base rate, no hold


def purchase(user_id: str, amount: int, order_id: str | None = None, *, event_id: str | None = None, at: datetime | None = None,
             rules: domain.Rules = RULES, kind: str = "PURCHASE"):
    at = at or datetime.now(UTC)
    payload = {
        "event_id": event_id or str(uuid.uuid4()),
        "user_id": user_id,
        "event_type": kind,
        "amount": amount,
        "order_id": order_id or f"o-{uuid.uuid4().hex[:8]}",
        "occurred_at": at.isoformat(),
    }
    return service.record_order_event(payload, rules=rules, now=at)


def refund(user_id: str, amount: int, order_id: str, **kw):
    return purchase(user_id, amount, order_id, kind="PURCHASE_REFUND", **kw)


def assert_ledger_consistent(sql) -> None:
    """Every account equals its ledger and its released lots; balances run in entry order; every lot's
    points are its remainder plus what left it minus what came back; no debt beside a balance."""
    assert sql(
        """
        SELECT a.user_id FROM loyalty.accounts a
        LEFT JOIN (SELECT user_id, sum(delta) AS s FROM loyalty.ledger GROUP BY user_id) l USING (user_id)
        LEFT JOIN (SELECT user_id, sum(remaining) AS s FROM loyalty.lots WHERE released_at IS NOT NULL GROUP BY user_id) r USING (user_id)
        WHERE a.balance <> coalesce(l.s, 0) OR a.balance <> coalesce(r.s, 0)
        """
    ) == []
    assert sql(
        "SELECT count(*) FROM loyalty.ledger l WHERE balance_after <> "
        "(SELECT sum(delta) FROM loyalty.ledger x WHERE x.user_id = l.user_id AND x.id <= l.id)"
    ) == [(0,)]
    assert sql(
        """
        SELECT l.id FROM loyalty.lots l
        LEFT JOIN (SELECT lot_id, sum(CASE WHEN kind = 'RESTORE' THEN -points ELSE points END) AS out
                   FROM loyalty.lot_moves GROUP BY lot_id) m ON m.lot_id = l.id
        WHERE l.points <> l.remaining + coalesce(m.out, 0)
        """
    ) == []
    # A debt is paid first from any credit, so nobody holds points while owing some.
    assert sql("SELECT user_id FROM loyalty.accounts WHERE debt > 0 AND balance > 0") == []
    # A lot expires once, and nothing comes back into it after.
    assert sql("SELECT id FROM loyalty.lots WHERE expired_at IS NOT NULL AND remaining > 0") == []
