"""SQL of the Loyalty service's order events: the claim that makes each event count once, the order
totals, and the spend they add. Points go through points.py, tiers through tiers.py."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.common.errors import AlreadyExists
from services.loyalty import domain


def claim_event(conn: Connection, event: dict, now: datetime) -> bool:
    """Claims the event id; False when it was applied before (or by a concurrent delivery, which
    this statement waits for). An event id applied before with another member, order, type or
    amount is refused with ALREADY_EXISTS EVENT_ID_REUSED: it is not a redelivery."""
    claimed = conn.execute(
        sa.text(
            "INSERT INTO loyalty.order_events (event_id, user_id, order_id, event_type, amount, occurred_at, processed_at) "
            "VALUES (:event_id, :user_id, :order_id, :event_type, :amount, :occurred_at, :now) "
            "ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
        ),
        {**event, "now": now},
    ).first()
    if claimed is not None:
        return True
    first = conn.execute(
        sa.text("SELECT user_id, order_id, event_type, amount FROM loyalty.order_events WHERE event_id = CAST(:e AS uuid)"),
        {"e": event["event_id"]},
    ).one()
    if tuple(first) != (event["user_id"], event["order_id"], event["event_type"], event["amount"]):
        raise AlreadyExists(
            "EVENT_ID_REUSED", "this event id was applied with another payload", metadata={"event_id": str(event["event_id"])}
        )
    return False


_ORDER_COLUMNS = (
    "purchased, refunded, counted_spend, purchased_on, points_earned, points_settled, points_shortfall, points_charged, "
    "points_expired"
)


def add_to_order(conn: Connection, user_id: str, order_id: str, event_type: str, amount: int, day: date, now: datetime) -> sa.Row:
    """Adds the event's amount to its order (created on first sight) and returns the order, locked.
    The order's day is its first purchase's."""
    is_purchase = event_type == "PURCHASE"
    return conn.execute(
        sa.text(
            "INSERT INTO loyalty.orders AS o (user_id, order_id, purchased, refunded, purchased_on, updated_at) "
            "VALUES (:u, :o, :bought, :refunded, CAST(:day AS date), :now) "
            "ON CONFLICT (user_id, order_id) DO UPDATE SET purchased = o.purchased + EXCLUDED.purchased, "
            "refunded = o.refunded + EXCLUDED.refunded, purchased_on = coalesce(o.purchased_on, EXCLUDED.purchased_on), "
            f"updated_at = EXCLUDED.updated_at RETURNING {_ORDER_COLUMNS}"
        ),
        {
            "u": user_id,
            "o": order_id,
            "bought": amount if is_purchase else 0,
            "refunded": 0 if is_purchase else amount,
            "day": day if is_purchase else None,
            "now": now,
        },
    ).one()


def count_spend(conn: Connection, user_id: str, order_id: str, counted: int, delta: int, day: date) -> None:
    """Moves the member's spend by `delta` (the change of what the order counts), on the order's day."""
    conn.execute(
        sa.text("UPDATE loyalty.orders SET counted_spend = :c WHERE user_id = :u AND order_id = :o"),
        {"u": user_id, "o": order_id, "c": counted},
    )
    conn.execute(
        sa.text("UPDATE loyalty.members SET lifetime_spend = lifetime_spend + :d WHERE user_id = :u"), {"u": user_id, "d": delta}
    )
    conn.execute(
        sa.text(
            "INSERT INTO loyalty.spend_days AS s (user_id, day, amount) VALUES (:u, :day, :d) "
            "ON CONFLICT (user_id, day) DO UPDATE SET amount = s.amount + EXCLUDED.amount"
        ),
        {"u": user_id, "day": day, "d": delta},
    )


def add_order_points(
    conn: Connection, user_id: str, order_id: str, *, earned: int = 0, settled: int = 0, shortfall: int = 0,
    charged: int = 0, expired: int = 0,
) -> None:
    """Adds to the order's points: earned, settled by refunds (= taken from its own lots + charged to
    other lots + shortfall (debt) + expired), and the parts of what refunds settled."""
    conn.execute(
        sa.text(
            "UPDATE loyalty.orders SET points_earned = points_earned + :e, points_settled = points_settled + :s, "
            "points_shortfall = points_shortfall + :f, points_charged = points_charged + :c, "
            "points_expired = points_expired + :x WHERE user_id = :u AND order_id = :o"
        ),
        {"u": user_id, "o": order_id, "e": earned, "s": settled, "f": shortfall, "c": charged, "x": expired},
    )


def order_state(row: sa.Row) -> domain.OrderState:
    return domain.OrderState(row.purchased, row.refunded, row.counted_spend, row.points_earned, row.points_settled)
