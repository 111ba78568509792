"""The admin's tier table: the seeded five, create, update, delete, and the rules that keep a base
tier and refuse deleting a tier members hold."""

from __future__ import annotations

import uuid

import grpc
import pytest
from engage.loyalty.v1 import loyalty_pb2, loyalty_service_pb2_grpc
from engage.loyalty.v1 import loyalty_service_pb2 as pb

from services.common.errors import FailedPrecondition
from tests.integration.grpc_failure import failure
from tests.integration.loyalty_support import purchase


@pytest.fixture(scope="module")
def loyalty(channel):
    return loyalty_service_pb2_grpc.LoyaltyServiceStub(channel)


@pytest.fixture
def admin(as_user):
    return as_user("ops-1", "admin")


def _code() -> str:
    return f"T{uuid.uuid4().hex[:8].upper()}"


def _benefits(m=1.1, **kw):
    return loyalty_pb2.TierBenefits(point_multiplier=m, **kw)


def test_the_five_seeded_tiers_are_listed_lowest_first(loyalty, admin):
    tiers = {t.code: t for t in loyalty.ListTiers(pb.ListTiersRequest(), metadata=admin).tiers}
    seeded = [(c, tiers[c].display_name, tiers[c].min_spend, tiers[c].benefits.point_multiplier) for c in ("BRONZE", "SILVER", "GOLD", "PLATINUM", "DIAMOND")]
    assert seeded == [
        ("BRONZE", "브론즈", 0, 1.0),
        ("SILVER", "실버", 100_000, 1.2),
        ("GOLD", "골드", 300_000, 1.5),
        ("PLATINUM", "플래티넘", 700_000, 2.0),
        ("DIAMOND", "다이아몬드", 1_500_000, 3.0),
    ]
    assert tiers["BRONZE"].benefits.free_shipping_threshold == 50_000 and tiers["GOLD"].benefits.HasField("free_shipping_threshold")
    assert tiers["PLATINUM"].benefits.birthday_bonus == 5000 and tiers["DIAMOND"].benefits.vip_support
    assert tiers["BRONZE"].currency_code == "KRW"


def test_admin_creates_updates_and_deletes_a_tier(loyalty, admin):
    code = _code()
    spend = 50_000_000 + uuid.uuid4().int % 1_000_000
    created = loyalty.CreateTier(pb.CreateTierRequest(code=code, display_name="VIP", min_spend=spend, benefits=_benefits(4.0)), metadata=admin).tier
    assert (created.code, created.min_spend, created.created_by) == (code, spend, "ops-1")
    assert failure(lambda: loyalty.CreateTier(pb.CreateTierRequest(code=code, display_name="x", min_spend=spend + 1, benefits=_benefits()), metadata=admin))[1] == "TIER_EXISTS"
    code, reason, _ = failure(lambda: loyalty.CreateTier(pb.CreateTierRequest(code=_code(), display_name="x", min_spend=spend, benefits=_benefits()), metadata=admin))
    assert (code, reason) == (grpc.StatusCode.ALREADY_EXISTS, "TIER_MIN_SPEND_TAKEN")
    updated = loyalty.UpdateTier(pb.UpdateTierRequest(code=created.code, display_name="VVIP", min_spend=spend + 5, benefits=_benefits(5.0, vip_support=True)), metadata=admin).tier
    assert (updated.display_name, updated.min_spend, updated.benefits.vip_support) == ("VVIP", spend + 5, True)
    loyalty.DeleteTier(pb.DeleteTierRequest(code=created.code), metadata=admin)
    assert failure(lambda: loyalty.DeleteTier(pb.DeleteTierRequest(code=created.code), metadata=admin))[1] == "TIER_NOT_FOUND"


def test_the_base_tier_stays_and_a_held_tier_cannot_be_deleted(loyalty, admin, user_id):
    bronze = pb.UpdateTierRequest(code="BRONZE", display_name="브론즈", min_spend=10, benefits=_benefits(1.0))
    assert failure(lambda: loyalty.UpdateTier(bronze, metadata=admin))[1] == "BASE_TIER_REQUIRED"
    assert failure(lambda: loyalty.DeleteTier(pb.DeleteTierRequest(code="BRONZE"), metadata=admin))[1] == "BASE_TIER_REQUIRED"
    purchase(user_id, 2_000_000)
    code, reason, _ = failure(lambda: loyalty.DeleteTier(pb.DeleteTierRequest(code="DIAMOND"), metadata=admin))
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "TIER_IN_USE")


def test_bad_benefits_and_fields_are_named(loyalty, admin):
    code, _, fields = failure(
        lambda: loyalty.CreateTier(pb.CreateTierRequest(code="bad code", display_name="", min_spend=-1, benefits=_benefits(1.234)), metadata=admin)
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT and {"code", "display_name", "min_spend"} <= set(fields)
    code, _, fields = failure(lambda: loyalty.CreateTier(pb.CreateTierRequest(code=_code(), display_name="x", min_spend=1, benefits=_benefits(0.5)), metadata=admin))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "benefits.point_multiplier" in fields


def test_only_admins_edit_tiers(loyalty, as_user, user_id):
    me = as_user(user_id)
    assert failure(lambda: loyalty.ListTiers(pb.ListTiersRequest(), metadata=me))[0] == grpc.StatusCode.PERMISSION_DENIED
    assert failure(lambda: loyalty.DeleteTier(pb.DeleteTierRequest(code="GOLD"), metadata=as_user("svc", "service")))[0] == grpc.StatusCode.PERMISSION_DENIED
    assert failure(lambda: loyalty.GetMemberTier(pb.GetMemberTierRequest(user_id=user_id), metadata=me))[0] == grpc.StatusCode.PERMISSION_DENIED
    assert failure(lambda: loyalty.GetUserTier(pb.GetUserTierRequest(user_id="other"), metadata=me))[1] == "NOT_YOUR_DATA"


def test_deleting_a_tier_a_member_is_upgraded_into_meanwhile_is_refused(loyalty, admin, user_id, sql, monkeypatch):
    """The check for holders can run before a racing upgrade commits: the foreign key from members
    still refuses the delete, answered as TIER_IN_USE."""
    from services.loyalty import service, tiers

    code = _code()
    spend = 60_000_000 + uuid.uuid4().int % 1_000_000
    loyalty.CreateTier(pb.CreateTierRequest(code=code, display_name="x", min_spend=spend, benefits=_benefits(4.0)), metadata=admin)
    purchase(user_id, spend)
    assert sql("SELECT tier_code FROM loyalty.members WHERE user_id = %(u)s", u=user_id) == [(code,)]
    monkeypatch.setattr(tiers, "in_use", lambda conn, c: False)  # the check saw no holder yet
    with pytest.raises(FailedPrecondition) as refused:
        service.delete_tier(code)
    assert refused.value.reason == "TIER_IN_USE"
    assert sql("SELECT count(*) FROM loyalty.tiers WHERE code = %(c)s", c=code) == [(1,)]
