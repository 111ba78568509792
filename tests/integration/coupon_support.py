"""Helpers of the coupon tests: making coupons, crediting and reading wallets, checking the ledger."""

from __future__ import annotations

import uuid

from google.protobuf import timestamp_pb2

from engage.coupon.v1 import coupon_pb2
from engage.coupon.v1 import coupon_service_pb2 as pb
from engage.reward.v1 import reward_pb2

T = 10
C = coupon_pb2.Coupon


def unique_code(prefix: str = "T") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10].upper()}"


def ts(dt) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(dt)
    return out


def make_coupon(stub, admin, **fields) -> coupon_pb2.Coupon:
    """A BONUS_TOKEN coupon of 100 CC_COIN unless told otherwise."""
    fields.setdefault("code", unique_code())
    fields.setdefault("type", C.BONUS_TOKEN)
    fields.setdefault("value", 100)
    if fields["type"] != C.FREE_SPIN:
        fields.setdefault("token_type", reward_pb2.CC_COIN)
    return stub.CreateCoupon(pb.CreateCouponRequest(**fields), metadata=admin, timeout=T).coupon


def redeem(stub, md, code: str, request_id: str | None = None, user_id: str = "") -> pb.RedeemCouponResponse:
    req = pb.RedeemCouponRequest(code=code, request_id=request_id or str(uuid.uuid4()), user_id=user_id)
    return stub.RedeemCoupon(req, metadata=md, timeout=T)


def credit(user_id: str, token_type: str, amount: int) -> None:
    from services.common import db
    from services.reward import wallet

    with db.transaction() as conn:
        wallet.post(conn, user_id=user_id, token_type=token_type, delta=amount, reason="ADMIN_GRANT",
                    idempotency_key=f"test:{uuid.uuid4()}")


def balance(user_id: str, token_type: str) -> int:
    from services.common import db
    from services.reward import wallet

    with db.transaction() as conn:
        return wallet.balance(conn, user_id, token_type)


def assert_ledger_matches_wallets(sql, users: list[str]) -> None:
    """Every wallet of these users equals the sum of its ledger entries, and the last entry's
    balance_after is the balance."""
    rows = sql(
        "SELECT w.user_id, w.token_type, w.balance, "
        "(SELECT coalesce(sum(delta), 0) FROM reward.ledger l WHERE l.user_id = w.user_id AND l.token_type = w.token_type), "
        "(SELECT balance_after FROM reward.ledger l WHERE l.user_id = w.user_id AND l.token_type = w.token_type ORDER BY id DESC LIMIT 1) "
        "FROM reward.wallets w WHERE w.user_id = ANY(%(u)s)",
        u=users,
    )
    for user, token, bal, total, last in rows:
        assert bal == total == last, (user, token, bal, total, last)


def used_count(sql, coupon_id: int) -> tuple[int, int]:
    return sql("SELECT used_count, reserved_count FROM coupon.coupons WHERE id = %(c)s", c=coupon_id)[0]
