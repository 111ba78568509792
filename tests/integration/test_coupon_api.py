"""Coupon over gRPC: definitions, redemption and its refusals, validation, reservations, rollbacks,
the attempt limit, bulk generation, personal codes and who may call what."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from coupon_support import (
    C,
    T,
    assert_ledger_matches_wallets,
    balance,
    credit,
    make_coupon,
    redeem,
    ts,
    unique_code,
    used_count,
)
from grpc_failure import failure

from engage.coupon.v1 import coupon_pb2
from engage.coupon.v1 import coupon_service_pb2 as pb
from engage.reward.v1 import reward_pb2

FP = grpc.StatusCode.FAILED_PRECONDITION


@pytest.fixture
def admin(as_user):
    return as_user("ops-kim", "admin")


@pytest.fixture
def svc(as_user):
    return as_user("checkout", "service")


def new_user() -> str:
    return f"cu-{uuid.uuid4().hex[:10]}"


def ledger_rows(sql, user: str) -> list[tuple]:
    return sql("SELECT token_type, delta, reason FROM reward.ledger WHERE user_id = %(u)s ORDER BY id", u=user)


# ---- definitions -----------------------------------------------------------------------------

def test_a_coupon_is_created_read_updated_listed_and_deleted(coupons, admin):
    code = unique_code("Crud-")
    now = datetime.now(UTC).replace(microsecond=0)
    created = make_coupon(coupons, admin, code=code, type=C.FREE_SPIN, value=5, usage_limit=10,
                          starts_at=ts(now - timedelta(days=1)), expires_at=ts(now + timedelta(days=7)),
                          segment="VIP", campaign="spring", description="five spins")
    assert (created.code, created.token_type, created.per_user_limit, created.status, created.version) == (
        code, reward_pb2.ROULETTE_COIN, 1, C.ACTIVE, 1)  # free spins are roulette coins by default
    assert created.HasField("usage_limit") and not created.HasField("max_value") and created.created_by == "ops-kim"
    assert coupons.GetCoupon(pb.GetCouponRequest(coupon_id=created.coupon_id), metadata=admin, timeout=T).coupon == created

    updated = coupons.UpdateCoupon(pb.UpdateCouponRequest(
        coupon_id=created.coupon_id, code=code, type=C.BONUS_TOKEN, value=50, token_type=reward_pb2.DICE_TOKEN,
        per_user_limit=2, status=C.DISABLED, campaign="spring", expected_version=1), metadata=admin, timeout=T).coupon
    assert (updated.version, updated.type, updated.per_user_limit, updated.status) == (2, C.BONUS_TOKEN, 2, C.DISABLED)
    assert not updated.HasField("usage_limit") and not updated.HasField("expires_at")  # a replace: unset is unlimited
    kept = coupons.UpdateCoupon(pb.UpdateCouponRequest(
        coupon_id=created.coupon_id, code=code, type=C.BONUS_TOKEN, value=60, token_type=reward_pb2.DICE_TOKEN,
        campaign="spring"), metadata=admin, timeout=T).coupon
    assert kept.status == C.DISABLED  # an unset status keeps the current one
    code_, reason, _ = failure(lambda: coupons.UpdateCoupon(pb.UpdateCouponRequest(
        coupon_id=created.coupon_id, code=code, type=C.FIXED, value=1, token_type=reward_pb2.CC_COIN, expected_version=1),
        metadata=admin, timeout=T))
    assert (code_, reason) == (grpc.StatusCode.ABORTED, "COUPON_VERSION_MISMATCH")

    listed = coupons.ListCoupons(pb.ListCouponsRequest(campaign="spring", status=C.DISABLED, code_prefix=code[:8].lower()),
                                 metadata=admin, timeout=T).coupons
    assert created.coupon_id in [c.coupon_id for c in listed]
    assert all(c.status == C.DISABLED and c.campaign == "spring" for c in listed)

    coupons.DeleteCoupon(pb.DeleteCouponRequest(coupon_id=created.coupon_id), metadata=admin, timeout=T)
    code_, reason, _ = failure(lambda: coupons.GetCoupon(pb.GetCouponRequest(coupon_id=created.coupon_id), metadata=admin, timeout=T))
    assert (code_, reason) == (grpc.StatusCode.NOT_FOUND, "COUPON_NOT_FOUND")


def test_bad_definitions_are_refused_naming_every_field(coupons, admin):
    cases = [
        (dict(code="no spaces!", type=C.FIXED, value=1, token_type=reward_pb2.CC_COIN), {"code"}),
        (dict(code=unique_code(), type=C.PERCENTAGE, value=10001, token_type=reward_pb2.CC_COIN), {"value", "max_value"}),
        (dict(code=unique_code(), type=C.BONUS_TOKEN, value=5, max_value=9), {"token_type", "max_value"}),
        (dict(code=unique_code(), type=C.FIXED, value=0, token_type=reward_pb2.CC_COIN, per_user_limit=0), {"value", "per_user_limit"}),
        (dict(code=unique_code(), type=C.FIXED, value=1, token_type=reward_pb2.CC_COIN, segment="vip",
              starts_at=ts(datetime(2030, 1, 2, tzinfo=UTC)), expires_at=ts(datetime(2030, 1, 1, tzinfo=UTC))),
         {"segment"}),  # field rules first; the cross-field rule runs once the fields are valid
        (dict(code=unique_code(), type=C.FIXED, value=1, token_type=reward_pb2.CC_COIN,
              starts_at=ts(datetime(2030, 1, 2, tzinfo=UTC)), expires_at=ts(datetime(2030, 1, 1, tzinfo=UTC))),
         {"expires_at"}),
        (dict(code=unique_code(), value=1, token_type=reward_pb2.CC_COIN), {"type"}),
    ]
    for fields, bad in cases:
        code, _, violations = failure(lambda: coupons.CreateCoupon(pb.CreateCouponRequest(**fields), metadata=admin, timeout=T))
        assert code == grpc.StatusCode.INVALID_ARGUMENT and set(violations) == bad, (fields, violations)


def test_codes_are_unique_in_any_letter_case(coupons, admin):
    code = unique_code("Case-")
    first = make_coupon(coupons, admin, code=code)
    code_, reason, _ = failure(lambda: make_coupon(coupons, admin, code=code.lower()))
    assert (code_, reason) == (grpc.StatusCode.ALREADY_EXISTS, "CODE_TAKEN")
    other = make_coupon(coupons, admin)
    code_, reason, _ = failure(lambda: coupons.UpdateCoupon(pb.UpdateCouponRequest(
        coupon_id=other.coupon_id, code=code.upper(), type=C.FIXED, value=1, token_type=reward_pb2.CC_COIN), metadata=admin, timeout=T))
    assert (code_, reason) == (grpc.StatusCode.ALREADY_EXISTS, "CODE_TAKEN")
    assert first.code == code  # stored as entered


def test_a_used_coupon_cannot_be_deleted_nor_limited_below_its_use(coupons, admin, as_user):
    c = make_coupon(coupons, admin, usage_limit=5)
    for _ in range(2):
        redeem(coupons, as_user(new_user()), c.code)
    code, reason, _ = failure(lambda: coupons.DeleteCoupon(pb.DeleteCouponRequest(coupon_id=c.coupon_id), metadata=admin, timeout=T))
    assert (code, reason) == (FP, "COUPON_IN_USE")
    change = dict(coupon_id=c.coupon_id, code=c.code, type=C.BONUS_TOKEN, value=100, token_type=reward_pb2.CC_COIN)
    code, reason, _ = failure(lambda: coupons.UpdateCoupon(pb.UpdateCouponRequest(**change, usage_limit=1), metadata=admin, timeout=T))
    assert (code, reason) == (FP, "USAGE_LIMIT_BELOW_USE")
    assert coupons.UpdateCoupon(pb.UpdateCouponRequest(**change, usage_limit=2), metadata=admin, timeout=T).coupon.used_count == 2


def test_coupons_list_newest_first_a_page_at_a_time(coupons, admin):
    campaign = f"page-{uuid.uuid4().hex[:6]}"
    made = [make_coupon(coupons, admin, campaign=campaign).coupon_id for _ in range(5)]
    seen, token = [], ""
    while True:
        page = coupons.ListCoupons(pb.ListCouponsRequest(campaign=campaign, page_size=2, page_token=token), metadata=admin, timeout=T)
        seen += [c.coupon_id for c in page.coupons]
        token = page.next_page_token
        if not token:
            break
    assert seen == sorted(made, reverse=True)
    code, reason, _ = failure(lambda: coupons.ListCoupons(pb.ListCouponsRequest(campaign="other", page_token=page_one_token(coupons, admin, campaign)), metadata=admin, timeout=T))
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN")


def page_one_token(coupons, admin, campaign: str) -> str:
    return coupons.ListCoupons(pb.ListCouponsRequest(campaign=campaign, page_size=1), metadata=admin, timeout=T).next_page_token


# ---- redemption ------------------------------------------------------------------------------

def test_redeem_credits_the_wallet_once_and_a_replay_answers_the_first_result(coupons, admin, as_user, sql):
    c = make_coupon(coupons, admin, value=250, token_type=reward_pb2.DICE_TOKEN)
    user = new_user()
    me = as_user(user)
    rid = str(uuid.uuid4())
    first = redeem(coupons, me, f"  {c.code.lower()} ", rid)  # any case, surrounding spaces ignored
    r = first.redemption
    assert not first.replayed
    assert (r.user_id, r.coupon_id, r.code, r.amount, r.token_type, r.state) == (
        user, c.coupon_id, c.code, 250, reward_pb2.DICE_TOKEN, coupon_pb2.CouponRedemption.REDEEMED)
    assert balance(user, "DICE_TOKEN") == 250
    assert ledger_rows(sql, user) == [("DICE_TOKEN", 250, "COUPON_REDEEM")]
    assert sql("SELECT id FROM reward.ledger WHERE user_id = %(u)s", u=user) == [(r.ledger_entry_id,)]

    again = redeem(coupons, me, c.code, rid)
    assert again.replayed and again.redemption == r
    assert balance(user, "DICE_TOKEN") == 250 and used_count(sql, c.coupon_id) == (1, 0)
    other = make_coupon(coupons, admin)
    code, reason, _ = failure(lambda: redeem(coupons, me, other.code, rid))
    assert (code, reason) == (grpc.StatusCode.ALREADY_EXISTS, "REQUEST_ID_REUSED")
    assert_ledger_matches_wallets(sql, [user])


def test_each_refusal_has_its_own_reason_and_changes_nothing(coupons, admin, as_user, sql):
    now = datetime.now(UTC)
    used_up = make_coupon(coupons, admin, usage_limit=1)
    redeem(coupons, as_user(new_user()), used_up.code)
    twice = make_coupon(coupons, admin, per_user_limit=1)
    repeat_user = new_user()
    redeem(coupons, as_user(repeat_user), twice.code)
    budgeted = make_coupon(coupons, admin, value=30)
    sql("INSERT INTO reward.budgets (owner_kind, owner_id, unit, token_type, total_limit, created_at, created_by, updated_at, updated_by) "
        "VALUES ('COUPON', %(o)s, 'TOKENS', 'CC_COIN', 50, now(), 't', now(), 't')", o=str(budgeted.coupon_id))
    redeem(coupons, as_user(new_user()), budgeted.code)  # 30 of 50: the next 30 would exceed it
    cases = [
        (unique_code("Nope-"), new_user(), grpc.StatusCode.NOT_FOUND, "NOT_FOUND", None),
        (make_coupon(coupons, admin, starts_at=ts(now + timedelta(days=1))).code, new_user(), FP, "NOT_STARTED", None),
        (make_coupon(coupons, admin, expires_at=ts(now - timedelta(seconds=1))).code, new_user(), FP, "EXPIRED", None),
        (used_up.code, new_user(), FP, "EXHAUSTED", None),
        (twice.code, repeat_user, FP, "ALREADY_REDEEMED", None),
        (make_coupon(coupons, admin, status=C.DISABLED).code, new_user(), FP, "NOT_ELIGIBLE", "DISABLED"),
        (make_coupon(coupons, admin, segment="WHALE").code, new_user(), FP, "NOT_ELIGIBLE", "SEGMENT"),
        (budgeted.code, new_user(), FP, "BUDGET_EXHAUSTED", None),
    ]
    for code, user, status, reason, cause in cases:
        before = sql("SELECT coalesce(sum(used_count + reserved_count), 0) FROM coupon.coupons")
        got = _failure_with_metadata(lambda: redeem(coupons, as_user(user), code))
        assert got[:2] == (status, reason), (code, got)
        assert got[2].get("cause") == cause
        assert sql("SELECT count(*) FROM reward.ledger WHERE user_id = %(u)s AND reason = 'COUPON_REDEEM'", u=user) == (
            [(1,)] if user == repeat_user else [(0,)])
        assert sql("SELECT coalesce(sum(used_count + reserved_count), 0) FROM coupon.coupons") == before
    assert sql("SELECT spent_total FROM reward.budgets WHERE owner_id = %(o)s AND owner_kind = 'COUPON'", o=str(budgeted.coupon_id)) == [(30,)]
    assert used_count(sql, budgeted.coupon_id) == (1, 0)


def _failure_with_metadata(call):
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status

    with pytest.raises(grpc.RpcError) as exc:
        call()
    for d in rpc_status.from_call(exc.value).details:
        if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            d.Unpack(info)
            return exc.value.code(), info.reason, dict(info.metadata)
    return exc.value.code(), None, {}


def test_a_segment_coupon_is_for_its_segment_only(coupons, admin, as_user, sql):
    c = make_coupon(coupons, admin, segment="VIP")
    vip = new_user()
    sql("INSERT INTO segmentation.user_segments (user_id, segment, updated_at) VALUES (%(u)s, 'VIP', now())", u=vip)
    assert redeem(coupons, as_user(vip), c.code).redemption.amount == 100
    _, reason, meta = _failure_with_metadata(lambda: redeem(coupons, as_user(new_user()), c.code))
    assert (reason, meta["cause"]) == ("NOT_ELIGIBLE", "SEGMENT")


def test_percentage_pays_back_basis_points_of_the_balance_capped(coupons, admin, as_user, sql):
    c = make_coupon(coupons, admin, type=C.PERCENTAGE, value=1000, max_value=500, token_type=reward_pb2.CC_COIN, per_user_limit=3)
    user = new_user()
    credit(user, "CC_COIN", 1234)
    assert redeem(coupons, as_user(user), c.code).redemption.amount == 123  # 10% of 1234, rounded down
    credit(user, "CC_COIN", 100_000 - balance(user, "CC_COIN"))
    assert redeem(coupons, as_user(user), c.code).redemption.amount == 500  # 10% would be 10,000: capped
    assert balance(user, "CC_COIN") == 100_500
    broke = new_user()
    _, reason, meta = _failure_with_metadata(lambda: redeem(coupons, as_user(broke), c.code))
    assert (reason, meta["cause"]) == ("NOT_ELIGIBLE", "NOTHING_TO_PAY_BACK")
    assert_ledger_matches_wallets(sql, [user, broke])


def test_fixed_and_free_spin_credit_their_token_types(coupons, admin, as_user):
    user = new_user()
    redeem(coupons, as_user(user), make_coupon(coupons, admin, type=C.FIXED, value=40, token_type=reward_pb2.LOTTERY_TICKET).code)
    redeem(coupons, as_user(user), make_coupon(coupons, admin, type=C.FREE_SPIN, value=3).code)
    redeem(coupons, as_user(user), make_coupon(coupons, admin, type=C.FREE_SPIN, value=2, token_type=reward_pb2.DICE_TOKEN).code)
    assert (balance(user, "LOTTERY_TICKET"), balance(user, "ROULETTE_COIN"), balance(user, "DICE_TOKEN")) == (40, 3, 2)


def test_validate_tells_the_amount_and_refusals_without_changing_anything(coupons, admin, as_user, sql):
    c = make_coupon(coupons, admin, type=C.PERCENTAGE, value=2500, max_value=1000, token_type=reward_pb2.CC_COIN, usage_limit=1)
    user = new_user()
    credit(user, "CC_COIN", 400)
    offer = coupons.ValidateCoupon(pb.ValidateCouponRequest(code=c.code.lower()), metadata=as_user(user), timeout=T)
    assert (offer.code, offer.type, offer.token_type, offer.amount) == (c.code, C.PERCENTAGE, reward_pb2.CC_COIN, 100)
    assert used_count(sql, c.coupon_id) == (0, 0) and balance(user, "CC_COIN") == 400
    assert sql("SELECT count(*) FROM coupon.user_usage WHERE coupon_id = %(c)s", c=c.coupon_id) == [(0,)]
    redeem(coupons, as_user(user), c.code)
    code, reason, _ = failure(lambda: coupons.ValidateCoupon(pb.ValidateCouponRequest(code=c.code), metadata=as_user(new_user()), timeout=T))
    assert (code, reason) == (FP, "EXHAUSTED")
    code, reason, _ = failure(lambda: coupons.ValidateCoupon(pb.ValidateCouponRequest(code="NOPE-" + c.code), metadata=as_user(user), timeout=T))
    assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "NOT_FOUND")


def test_validate_sees_a_spent_budget_without_consuming_it(coupons, admin, as_user, sql):
    c = make_coupon(coupons, admin, value=10)
    sql("INSERT INTO reward.budgets (owner_kind, owner_id, unit, total_limit, created_at, created_by, updated_at, updated_by) "
        "VALUES ('COUPON', %(o)s, 'COUNT', 1, now(), 't', now(), 't')", o=str(c.coupon_id))
    for _ in range(3):  # validating never spends the budget
        assert coupons.ValidateCoupon(pb.ValidateCouponRequest(code=c.code), metadata=as_user(new_user()), timeout=T).amount == 10
    redeem(coupons, as_user(new_user()), c.code)
    code, reason, _ = failure(lambda: coupons.ValidateCoupon(pb.ValidateCouponRequest(code=c.code), metadata=as_user(new_user()), timeout=T))
    assert (code, reason) == (FP, "BUDGET_EXHAUSTED")


# ---- reservations ----------------------------------------------------------------------------

def reserve(coupons, svc, code, user, key, ttl=0):
    return coupons.ReserveCoupon(pb.ReserveCouponRequest(user_id=user, code=code, request_id=key, ttl_seconds=ttl), metadata=svc, timeout=T)


def test_a_reservation_redeemed_after_the_budget_ran_out_is_refused_and_stays_held(coupons, reward, admin, svc, as_user, sql):
    """The budget is checked when a reservation is redeemed, not when it is made."""
    c = make_coupon(coupons, admin, usage_limit=5)
    _budget(reward, admin, reward_pb2.Budget.COUPON, str(c.coupon_id), unit=reward_pb2.Budget.COUNT, total_limit=1)
    user, key = new_user(), f"order-{uuid.uuid4().hex[:8]}"
    reserve(coupons, svc, c.code, user, key, ttl=600)
    redeem(coupons, as_user(new_user()), c.code)  # spends the budget's only grant
    code, reason, _ = failure(lambda: redeem(coupons, as_user(user), c.code, key))
    assert (code, reason) == (FP, "BUDGET_EXHAUSTED")
    assert sql("SELECT state FROM coupon.coupon_reservations WHERE user_id = %(u)s", u=user) == [("HELD",)]
    assert used_count(sql, c.coupon_id) == (1, 1) and balance(user, "CC_COIN") == 0


def test_a_reservation_holds_a_use_until_redeemed_with_its_key(coupons, admin, svc, as_user, sql):
    c = make_coupon(coupons, admin, usage_limit=1)
    user, key = new_user(), f"order-{uuid.uuid4().hex[:8]}"
    held = reserve(coupons, svc, c.code, user, key, ttl=600)
    H = coupon_pb2.CouponReservation
    assert held.reservation.state == H.HELD and not held.replayed and used_count(sql, c.coupon_id) == (0, 1)
    assert reserve(coupons, svc, c.code, user, key).replayed
    code, reason, _ = failure(lambda: redeem(coupons, as_user(new_user()), c.code))
    assert (code, reason) == (FP, "EXHAUSTED")  # the reservation holds the only use
    code, reason, _ = failure(lambda: reserve(coupons, svc, c.code, user, f"second-{key}"))
    assert (code, reason) == (FP, "ALREADY_REDEEMED")  # and the user's one use
    r = redeem(coupons, as_user(user), c.code, key).redemption
    assert r.reservation_id == held.reservation.reservation_id and used_count(sql, c.coupon_id) == (1, 0)
    assert sql("SELECT state, redemption_id FROM coupon.coupon_reservations WHERE id = %(i)s", i=r.reservation_id) == [("CONVERTED", r.redemption_id)]
    assert sql("SELECT used, reserved FROM coupon.user_usage WHERE coupon_id = %(c)s", c=c.coupon_id) == [(1, 0)]
    code, reason, _ = failure(lambda: coupons.ReleaseCouponReservation(pb.ReleaseCouponReservationRequest(user_id=user, request_id=key), metadata=svc, timeout=T))
    assert (code, reason) == (FP, "RESERVATION_CONVERTED")


def test_a_released_reservation_gives_its_use_back(coupons, admin, svc, as_user, sql):
    c = make_coupon(coupons, admin, usage_limit=1)
    user, key = new_user(), f"order-{uuid.uuid4().hex[:8]}"
    reserve(coupons, svc, c.code, user, key)
    release = pb.ReleaseCouponReservationRequest(user_id=user, request_id=key)
    released = coupons.ReleaseCouponReservation(release, metadata=svc, timeout=T).reservation
    assert released.state == coupon_pb2.CouponReservation.RELEASED and used_count(sql, c.coupon_id) == (0, 0)
    assert coupons.ReleaseCouponReservation(release, metadata=svc, timeout=T).reservation == released  # idempotent
    assert redeem(coupons, as_user(new_user()), c.code).redemption.amount == 100
    code, reason, _ = failure(lambda: coupons.ReleaseCouponReservation(
        pb.ReleaseCouponReservationRequest(user_id=user, request_id="never-made"), metadata=svc, timeout=T))
    assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "RESERVATION_NOT_FOUND")


def test_an_expired_reservation_stops_counting_before_the_sweep_gives_it_back(coupons, admin, svc, as_user, sql):
    from services.coupon import service

    c = make_coupon(coupons, admin, usage_limit=1)
    user, key = new_user(), f"order-{uuid.uuid4().hex[:8]}"
    reserve(coupons, svc, c.code, user, key)
    sql("UPDATE coupon.coupon_reservations SET expires_at = now() - interval '1 second' WHERE user_id = %(u)s", u=user)
    assert used_count(sql, c.coupon_id) == (0, 1)  # not swept yet...
    offer = coupons.ValidateCoupon(pb.ValidateCouponRequest(code=c.code), metadata=as_user(new_user()), timeout=T)
    assert offer.amount == 100  # ...but no longer counted
    winner = new_user()
    redeem(coupons, as_user(winner), c.code)  # the redemption gives the expired use back and takes it
    assert used_count(sql, c.coupon_id) == (1, 0)
    assert sql("SELECT state FROM coupon.coupon_reservations WHERE user_id = %(u)s", u=user) == [("EXPIRED",)]
    # Redeeming with an expired reservation's key is a plain redemption, refused here: used up.
    code, reason, _ = failure(lambda: redeem(coupons, as_user(user), c.code, key))
    assert (code, reason) == (FP, "EXHAUSTED")
    assert service.expire_reservations() == 0


def test_the_sweep_expires_reservations_set_based(coupons, admin, svc, sql):
    from services.coupon import service

    c = make_coupon(coupons, admin, usage_limit=10, per_user_limit=3)
    users = [new_user() for _ in range(3)]
    for u in users:
        for i in range(2):
            reserve(coupons, svc, c.code, u, f"k{i}", ttl=60)
    keep = reserve(coupons, svc, c.code, users[0], "k-long", ttl=3600).reservation
    assert used_count(sql, c.coupon_id) == (0, 7)
    assert service.expire_reservations(now=datetime.now(UTC) + timedelta(minutes=5), batch=4) == 6
    assert used_count(sql, c.coupon_id) == (0, 1)
    assert sql("SELECT sum(reserved) FROM coupon.user_usage WHERE coupon_id = %(c)s", c=c.coupon_id) == [(1,)]
    assert sql("SELECT state FROM coupon.coupon_reservations WHERE id = %(i)s", i=keep.reservation_id) == [("HELD",)]


def test_a_reservation_never_outlives_its_coupon(coupons, admin, svc):
    end = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=2)
    c = make_coupon(coupons, admin, expires_at=ts(end))
    held = reserve(coupons, svc, c.code, new_user(), "k", ttl=3600).reservation
    assert held.expires_at.ToDatetime(tzinfo=UTC) == end


# ---- rollbacks -------------------------------------------------------------------------------

def _budget(reward, admin, kind, owner, **limits):
    from engage.reward.v1 import reward_service_pb2 as rpb

    return reward.CreateBudget(rpb.CreateBudgetRequest(owner_kind=kind, owner_id=owner, **limits), metadata=admin).budget


def test_a_rollback_gives_a_budget_back_only_what_it_counted(coupons, reward, admin, svc, as_user, sql):
    """A redemption made before the budget existed was never counted: rolling it back must not free
    budget for someone else."""
    c = make_coupon(coupons, admin, value=100, usage_limit=10)
    early, rid = new_user(), "before-budget"
    redeem(coupons, as_user(early), c.code, rid)
    _budget(reward, admin, reward_pb2.Budget.COUPON, str(c.coupon_id), unit=reward_pb2.Budget.TOKENS,
            token_type=reward_pb2.CC_COIN, total_limit=100)
    redeem(coupons, as_user(new_user()), c.code)
    coupons.RollbackCouponRedemption(pb.RollbackCouponRedemptionRequest(user_id=early, request_id=rid, reason="x"), metadata=svc, timeout=T)
    assert sql("SELECT spent_total FROM reward.budgets WHERE owner_kind = 'COUPON' AND owner_id = %(o)s", o=str(c.coupon_id)) == [(100,)]
    code, reason, _ = failure(lambda: redeem(coupons, as_user(new_user()), c.code))
    assert reason == "BUDGET_EXHAUSTED"


def test_daily_and_campaign_budgets_cap_redemptions(coupons, reward, admin, as_user, sql):
    campaign = f"camp-{uuid.uuid4().hex[:6]}"
    daily = make_coupon(coupons, admin, value=10)
    _budget(reward, admin, reward_pb2.Budget.COUPON, str(daily.coupon_id), unit=reward_pb2.Budget.COUNT, daily_limit=2)
    redeem(coupons, as_user(new_user()), daily.code)
    redeem(coupons, as_user(new_user()), daily.code)
    assert failure(lambda: redeem(coupons, as_user(new_user()), daily.code))[1] == "BUDGET_EXHAUSTED"
    # A CAMPAIGN budget whose owner is the coupons' `campaign` caps them together.
    a, b = make_coupon(coupons, admin, value=30, campaign=campaign), make_coupon(coupons, admin, value=30, campaign=campaign)
    _budget(reward, admin, reward_pb2.Budget.CAMPAIGN, campaign, unit=reward_pb2.Budget.TOKENS, token_type=reward_pb2.CC_COIN,
            total_limit=60)
    redeem(coupons, as_user(new_user()), a.code)
    redeem(coupons, as_user(new_user()), b.code)
    user = new_user()
    code, reason, _ = failure(lambda: coupons.ValidateCoupon(pb.ValidateCouponRequest(code=a.code), metadata=as_user(user), timeout=T))
    assert reason == "BUDGET_EXHAUSTED"
    assert failure(lambda: redeem(coupons, as_user(user), b.code))[1] == "BUDGET_EXHAUSTED"
    assert sql("SELECT spent_total FROM reward.budgets WHERE owner_kind = 'CAMPAIGN' AND owner_id = %(o)s", o=campaign) == [(60,)]


def test_rollback_returns_the_use_and_reverses_the_grant_once(coupons, admin, svc, as_user, sql):
    c = make_coupon(coupons, admin, value=70, usage_limit=1)
    sql("INSERT INTO reward.budgets (owner_kind, owner_id, unit, total_limit, created_at, created_by, updated_at, updated_by) "
        "VALUES ('COUPON', %(o)s, 'COUNT', 5, now(), 't', now(), 't')", o=str(c.coupon_id))
    user, rid = new_user(), f"order-{uuid.uuid4().hex[:8]}"
    redeem(coupons, as_user(user), c.code, rid)
    req = pb.RollbackCouponRedemptionRequest(user_id=user, request_id=rid, reason="order cancelled")
    undone = coupons.RollbackCouponRedemption(req, metadata=svc, timeout=T).redemption
    assert undone.state == coupon_pb2.CouponRedemption.ROLLED_BACK and undone.rollback_reason == "order cancelled"
    assert balance(user, "CC_COIN") == 0 and used_count(sql, c.coupon_id) == (0, 0)
    assert ledger_rows(sql, user) == [("CC_COIN", 70, "COUPON_REDEEM"), ("CC_COIN", -70, "COUPON_ROLLBACK")]
    assert sql("SELECT spent_total FROM reward.budgets WHERE owner_kind = 'COUPON' AND owner_id = %(o)s", o=str(c.coupon_id)) == [(0,)]
    assert coupons.RollbackCouponRedemption(req, metadata=svc, timeout=T).redemption == undone  # idempotent
    assert len(ledger_rows(sql, user)) == 2
    assert redeem(coupons, as_user(user), c.code).redemption.amount == 70  # the use is back, for anyone
    assert_ledger_matches_wallets(sql, [user])
    code, reason, _ = failure(lambda: coupons.RollbackCouponRedemption(
        pb.RollbackCouponRedemptionRequest(user_id=user, request_id="nothing", reason="x"), metadata=svc, timeout=T))
    assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "REDEMPTION_NOT_FOUND")


def test_a_spent_grant_is_not_rolled_back_and_nothing_changes(coupons, admin, svc, as_user, sql):
    from services.common import db
    from services.reward import wallet

    c = make_coupon(coupons, admin, value=50)
    user, rid = new_user(), f"order-{uuid.uuid4().hex[:8]}"
    redeem(coupons, as_user(user), c.code, rid)
    with db.transaction() as conn:
        wallet.post(conn, user_id=user, token_type="CC_COIN", delta=-30, reason="POOL_OPEN_COST", idempotency_key=f"test:{rid}")
    req = pb.RollbackCouponRedemptionRequest(user_id=user, request_id=rid, reason="order cancelled")
    code, reason, _ = failure(lambda: coupons.RollbackCouponRedemption(req, metadata=svc, timeout=T))
    assert (code, reason) == (FP, "GRANT_ALREADY_SPENT")
    assert balance(user, "CC_COIN") == 20 and used_count(sql, c.coupon_id) == (1, 0)
    assert sql("SELECT state FROM coupon.coupon_redemptions WHERE user_id = %(u)s", u=user) == [("REDEEMED",)]
    assert sql("SELECT used FROM coupon.user_usage WHERE user_id = %(u)s", u=user) == [(1,)]


# ---- guessing --------------------------------------------------------------------------------

def test_failed_attempts_are_limited_per_user(coupons, admin, as_user, monkeypatch, sql):
    from services.coupon import service

    monkeypatch.setattr(service, "failed_attempt_limit", lambda: 3)
    guesser, honest = new_user(), new_user()
    good = make_coupon(coupons, admin, per_user_limit=5)
    for _ in range(3):
        code, reason, _ = failure(lambda: redeem(coupons, as_user(guesser), unique_code("Guess-")))
        assert reason == "NOT_FOUND"
    code, reason, _ = failure(lambda: redeem(coupons, as_user(guesser), good.code))  # even a real code
    assert (code, reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "TOO_MANY_ATTEMPTS")
    code, reason, _ = failure(lambda: coupons.ValidateCoupon(pb.ValidateCouponRequest(code=good.code), metadata=as_user(guesser), timeout=T))
    assert reason == "TOO_MANY_ATTEMPTS"
    assert balance(guesser, "CC_COIN") == 0
    assert redeem(coupons, as_user(honest), good.code).redemption.amount == 100  # others are not affected
    # A minute later the window has passed.
    sql("UPDATE coupon.failed_attempts SET attempted_at = attempted_at - interval '61 seconds' WHERE user_id = %(u)s", u=guesser)
    assert redeem(coupons, as_user(guesser), good.code).redemption.amount == 100


# ---- generation and personal codes -----------------------------------------------------------

def test_bulk_generation_makes_unique_prefixed_codes_exactly_once(coupons, admin, as_user, sql):
    rid = str(uuid.uuid4())
    req = pb.GenerateCouponsRequest(request_id=rid, prefix="spring", count=500, type=C.BONUS_TOKEN, value=5,
                                    token_type=reward_pb2.CC_COIN, campaign="spring-26")
    made = coupons.GenerateCoupons(req, metadata=admin, timeout=30)
    codes = list(made.codes)
    assert len(codes) == len(set(codes)) == 500 and not made.replayed
    assert all(c.startswith("SPRING-") and len(c) == 19 and set(c[7:]) <= set("23456789ABCDEFGHJKMNPQRSTVWXYZ") for c in codes)
    assert (made.batch.prefix, made.batch.count, made.batch.campaign) == ("SPRING", 500, "spring-26")
    again = coupons.GenerateCoupons(req, metadata=admin, timeout=30)
    assert again.replayed and list(again.codes) == codes and again.batch == made.batch
    assert sql("SELECT count(*), min(usage_limit), max(usage_limit) FROM coupon.coupons WHERE batch_id = %(b)s", b=made.batch.batch_id) == [(500, 1, 1)]
    req.count = 501
    code, reason, _ = failure(lambda: coupons.GenerateCoupons(req, metadata=admin, timeout=30))
    assert (code, reason) == (grpc.StatusCode.ALREADY_EXISTS, "REQUEST_ID_REUSED")
    listed = coupons.ListCoupons(pb.ListCouponsRequest(batch_id=made.batch.batch_id, page_size=200), metadata=admin, timeout=T)
    assert len(listed.coupons) == 200 and listed.next_page_token
    user = new_user()
    assert redeem(coupons, as_user(user), codes[0].lower()).redemption.amount == 5
    code, reason, _ = failure(lambda: redeem(coupons, as_user(new_user()), codes[0]))
    assert (code, reason) == (FP, "EXHAUSTED")  # generated codes are single-use by default
    code, _, fields = failure(lambda: coupons.GenerateCoupons(pb.GenerateCouponsRequest(
        request_id=str(uuid.uuid4()), prefix="BAD-", count=10001, type=C.FIXED, value=1, token_type=reward_pb2.CC_COIN), metadata=admin, timeout=T))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and set(fields) == {"count"}


def test_generated_codes_replace_collisions(coupons, admin, monkeypatch):
    from services.coupon import domain

    taken = make_coupon(coupons, admin, code="DUP-222222222222").code
    draws = iter(["DUP-222222222222", "DUP-333333333333", "DUP-444444444444"])
    monkeypatch.setattr(domain, "new_code", lambda prefix: next(draws))
    made = coupons.GenerateCoupons(pb.GenerateCouponsRequest(
        request_id=str(uuid.uuid4()), prefix="DUP", count=2, type=C.FIXED, value=1, token_type=reward_pb2.CC_COIN), metadata=admin, timeout=T)
    assert list(made.codes) == ["DUP-333333333333", "DUP-444444444444"] and taken not in made.codes


def test_personal_codes_are_issued_once_and_only_for_their_user(coupons, admin, as_user, sql):
    from services.common import db
    from services.common.errors import AlreadyExists, NotFound
    from services.coupon import service

    expiry = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    template = make_coupon(coupons, admin, type=C.PERCENTAGE, value=5000, max_value=40, token_type=reward_pb2.DICE_TOKEN,
                           expires_at=ts(expiry), usage_limit=1, status=C.DISABLED)
    owner, key = new_user(), f"reward:draw:{uuid.uuid4()}"
    with db.transaction() as conn:
        code = service.issue_personal_code(conn, template_coupon_id=template.coupon_id, user_id=owner, idempotency_key=key)
    with db.transaction() as conn:
        assert service.issue_personal_code(conn, template_coupon_id=template.coupon_id, user_id=owner, idempotency_key=key) == code
        with pytest.raises(AlreadyExists) as e:
            service.issue_personal_code(conn, template_coupon_id=template.coupon_id, user_id=new_user(), idempotency_key=key)
        assert e.value.reason == "IDEMPOTENCY_KEY_REUSED"
        with pytest.raises(NotFound) as e:
            service.issue_personal_code(conn, template_coupon_id=10**15, user_id=owner, idempotency_key=f"{key}-x")
        assert e.value.reason == "COUPON_NOT_FOUND"
    personal = sql("SELECT type, value, token_type, max_value, expires_at, usage_limit, per_user_limit, assigned_user_id, template_id, status "
                   "FROM coupon.coupons WHERE code = %(c)s", c=code)
    assert personal == [("PERCENTAGE", 5000, "DICE_TOKEN", 40, expiry, 1, 1, owner, template.coupon_id, "ACTIVE")]
    _, reason, meta = _failure_with_metadata(lambda: redeem(coupons, as_user(new_user()), code))
    assert (reason, meta["cause"]) == ("NOT_ELIGIBLE", "ASSIGNED_TO_ANOTHER_USER")
    credit(owner, "DICE_TOKEN", 60)
    assert redeem(coupons, as_user(owner), code).redemption.amount == 30
    assert used_count(sql, template.coupon_id) == (0, 0)  # the template itself is untouched


def test_a_personal_code_rolls_back_with_the_callers_transaction(coupons, admin, sql):
    from services.common import db
    from services.coupon import service

    template = make_coupon(coupons, admin)
    key = f"reward:draw:{uuid.uuid4()}"
    with pytest.raises(RuntimeError):
        with db.transaction() as conn:
            service.issue_personal_code(conn, template_coupon_id=template.coupon_id, user_id=new_user(), idempotency_key=key)
            raise RuntimeError("the open failed after the code was issued")
    assert sql("SELECT count(*) FROM coupon.coupons WHERE issue_key = %(k)s", k=key) == [(0,)]


# ---- listings and authorization --------------------------------------------------------------

def test_users_list_their_redemptions_and_admins_a_coupons(coupons, admin, as_user):
    c = make_coupon(coupons, admin, usage_limit=10)
    user = new_user()
    mine = [redeem(coupons, as_user(user), make_coupon(coupons, admin).code).redemption.redemption_id for _ in range(3)]
    seen, token = [], ""
    while True:
        page = coupons.ListUserCouponRedemptions(pb.ListUserCouponRedemptionsRequest(page_size=2, page_token=token), metadata=as_user(user), timeout=T)
        seen += [r.redemption_id for r in page.redemptions]
        token = page.next_page_token
        if not token:
            break
    assert seen == sorted(mine, reverse=True)
    others = [redeem(coupons, as_user(new_user()), c.code).redemption.redemption_id for _ in range(2)]
    page = coupons.ListCouponRedemptions(pb.ListCouponRedemptionsRequest(coupon_id=c.coupon_id), metadata=admin, timeout=T)
    assert [r.redemption_id for r in page.redemptions] == sorted(others, reverse=True)
    code, reason, _ = failure(lambda: coupons.ListCouponRedemptions(pb.ListCouponRedemptionsRequest(coupon_id=10**15), metadata=admin, timeout=T))
    assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "COUPON_NOT_FOUND")


def test_users_act_only_for_themselves_and_not_on_backend_or_admin_methods(coupons, admin, as_user):
    c = make_coupon(coupons, admin)
    user = new_user()
    me = as_user(user)
    code, reason, _ = failure(lambda: redeem(coupons, me, c.code, user_id=new_user()))
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_YOUR_DATA")
    code, reason, _ = failure(lambda: coupons.ListUserCouponRedemptions(pb.ListUserCouponRedemptionsRequest(user_id="someone-else"), metadata=me, timeout=T))
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_YOUR_DATA")
    for call in (
        lambda: coupons.CreateCoupon(pb.CreateCouponRequest(code=unique_code(), type=C.FIXED, value=1, token_type=reward_pb2.CC_COIN), metadata=me, timeout=T),
        lambda: coupons.ListCoupons(pb.ListCouponsRequest(), metadata=me, timeout=T),
        lambda: coupons.GenerateCoupons(pb.GenerateCouponsRequest(request_id="x", prefix="X", count=1, type=C.FIXED, value=1), metadata=me, timeout=T),
        lambda: reserve(coupons, me, c.code, user, "k"),
        lambda: coupons.RollbackCouponRedemption(pb.RollbackCouponRedemptionRequest(user_id=user, request_id="k", reason="x"), metadata=me, timeout=T),
    ):
        code, reason, _ = failure(call)
        assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_NOT_ALLOWED")
    # A backend redeems for a user it names; it must name one.
    assert redeem(coupons, as_user("checkout", "service"), c.code, user_id=user).redemption.user_id == user
    code, _, fields = failure(lambda: redeem(coupons, as_user("checkout", "service"), c.code))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "user_id" in fields


def test_personal_codes_issued_in_bulk_are_once_per_key_and_like_single_ones(coupons, admin, sql):
    from services.common import db
    from services.common.errors import AlreadyExists, FailedPrecondition
    from services.coupon import service

    template = make_coupon(coupons, admin, type=C.FIXED, value=7, token_type=reward_pb2.CC_COIN)
    users = [new_user() for _ in range(30)]
    grants = [(u, f"campaign:bulk:{u}") for u in users]
    with db.transaction() as conn:
        single = service.issue_personal_code(conn, template_coupon_id=template.coupon_id, user_id=users[0],
                                             idempotency_key=grants[0][1])
        issued = service.issue_personal_codes(conn, template_coupon_id=template.coupon_id, grants=grants)
    assert set(issued) == set(users) and issued[users[0]][0] == single  # the earlier key answers its first code
    rows = sql("SELECT assigned_user_id, code, id, template_id, value, usage_limit FROM coupon.coupons WHERE template_id = %(t)s",
               t=template.coupon_id)
    assert {r[0]: (r[1], r[2]) for r in rows} == issued and {r[3:] for r in rows} == {(template.coupon_id, 7, 1)}
    with db.transaction() as conn:  # a replay issues nothing new
        assert service.issue_personal_codes(conn, template_coupon_id=template.coupon_id, grants=grants) == issued
    assert sql("SELECT count(*) FROM coupon.coupons WHERE template_id = %(t)s", t=template.coupon_id) == [(30,)]
    with pytest.raises(AlreadyExists) as e, db.transaction() as conn:
        service.issue_personal_codes(conn, template_coupon_id=template.coupon_id, grants=[(new_user(), grants[1][1])])
    assert e.value.reason == "IDEMPOTENCY_KEY_REUSED"
    sql("UPDATE coupon.coupons SET starts_at = now() - interval '2 days', expires_at = now() - interval '1 day' WHERE id = %(i)s",
        i=template.coupon_id)
    with pytest.raises(FailedPrecondition) as e, db.transaction() as conn:
        service.issue_personal_codes(conn, template_coupon_id=template.coupon_id, grants=[(new_user(), "campaign:bulk:late")])
    assert e.value.reason == "PRIZE_UNAVAILABLE"
