"""The learning reward selector on real PostgreSQL: it converges to the best arm, logs a
propensity with every choice, and records each outcome exactly once."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from engage.reward.v1 import reward_service_pb2 as pb
from services.reward import selection
from tests.integration.grpc_failure import failure


@pytest.fixture
def service_caller(as_user):
    return as_user("checkout-svc", "service")


def test_it_converges_to_the_best_arm():
    """1,000 simulated customers; conversion rates 5%, 10% and 25%. After learning, the best arm
    takes most selections (the exploration slice keeps the others alive: 10% split three ways)."""
    rates = {"free_shipping": 0.05, "5_percent_off": 0.10, "loyalty_2x_points": 0.25}
    context = {"trigger": "cart_abandoned", "run": uuid.uuid4().hex[:8]}  # a fresh bucket
    world = random.Random(11)
    chosen = []
    for i in range(1000):
        s = selection.select(f"sim-{i}", context, list(rates), request_id="")
        selection.record_outcome(str(s.id), world.random() < rates[s.arm])
        chosen.append(s.arm)
    late = Counter(chosen[-300:])
    assert late["loyalty_2x_points"] / 300 > 0.7, late
    _, arms, counts = selection.arms(context)
    assert sum(a.successes + a.failures for a in arms) == 1000
    assert sum(counts.values()) == 1000


def test_every_selection_logs_a_propensity_and_a_retry_returns_it(reward, service_caller, user_id):
    request = pb.SelectRewardRequest(
        user_id=user_id, context={"segment": "VIP"}, candidates=["a", "b", "c"], request_id="sel-1"
    )
    first = reward.SelectReward(request, metadata=service_caller).selection
    again = reward.SelectReward(request, metadata=service_caller).selection
    assert first.selection_id == again.selection_id
    # No outcomes yet: three uniform posteriors, so the policy picks each arm with probability 1/3.
    assert first.arm in {"a", "b", "c"} and first.propensity == pytest.approx(1 / 3, abs=0.005)
    assert first.bucket == "segment=VIP" and list(first.candidates) == ["a", "b", "c"]


def test_an_outcome_updates_the_posterior_once_even_when_reported_concurrently(reward, service_caller, user_id, sql):
    context = {"run": uuid.uuid4().hex[:8]}
    s = reward.SelectReward(
        pb.SelectRewardRequest(user_id=user_id, context=context, candidates=["x", "y"]), metadata=service_caller
    ).selection
    report = pb.RecordRewardOutcomeRequest(selection_id=s.selection_id, converted=True)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: reward.RecordRewardOutcome(report, metadata=service_caller), range(16)))
    assert {a.arm.successes for a in answers} == {1}
    assert sql("SELECT successes, failures FROM reward.bandit_arms WHERE bucket = %(b)s", b=s.bucket) == [(1, 0)]
    code, reason, _ = failure(
        lambda: reward.RecordRewardOutcome(pb.RecordRewardOutcomeRequest(selection_id=s.selection_id, converted=False), metadata=service_caller)
    )
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "OUTCOME_ALREADY_RECORDED")
    code, reason, _ = failure(
        lambda: reward.RecordRewardOutcome(pb.RecordRewardOutcomeRequest(selection_id=str(uuid.uuid4()), converted=True), metadata=service_caller)
    )
    assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "SELECTION_NOT_FOUND")
    arms = reward.ListBanditArms(pb.ListBanditArmsRequest(context=context), metadata=service_caller)
    assert [(a.arm, a.successes, round(a.mean, 3)) for a in arms.arms] == [(s.arm, 1, round(2 / 3, 3))]


def test_bad_candidates_are_refused(reward, service_caller, user_id, as_user):
    code, _, fields = failure(
        lambda: reward.SelectReward(pb.SelectRewardRequest(user_id=user_id, candidates=["a", "a", "b c"]), metadata=service_caller)
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT and {"candidates[1]", "candidates[2]"} <= set(fields)
    code, _, fields = failure(lambda: reward.SelectReward(pb.SelectRewardRequest(user_id=user_id, candidates=["a"]), metadata=service_caller))
    assert "candidates" in fields
    # Users do not pick their own rewards.
    code, _, _ = failure(
        lambda: reward.SelectReward(pb.SelectRewardRequest(user_id=user_id, candidates=["a", "b"]), metadata=as_user(user_id))
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED


def test_a_request_id_reused_with_other_candidates_is_refused(reward, service_caller, user_id):
    first = pb.SelectRewardRequest(user_id=user_id, candidates=["a", "b"], request_id="sel-x")
    reward.SelectReward(first, metadata=service_caller)
    other = pb.SelectRewardRequest(user_id=user_id, candidates=["a", "c"], request_id="sel-x")
    code, reason, _ = failure(lambda: reward.SelectReward(other, metadata=service_caller))
    assert (code, reason) == (grpc.StatusCode.ALREADY_EXISTS, "REQUEST_ID_REUSED")


def test_select_many_chooses_once_per_request_id_like_select():
    from services.common.errors import AlreadyExists
    from services.reward import selection

    arms = ["a", "b", "c"]
    ctx = {"campaign": f"many-{uuid.uuid4().hex[:6]}"}
    requests = [(f"u-{uuid.uuid4().hex[:8]}", f"req-{i}") for i in range(40)]
    first = selection.select_many(requests, ctx, arms)
    assert set(first) == {u for u, _ in requests}
    assert all(r.arm in arms and list(r.candidates) == arms and 0 < r.propensity <= 1 for r in first.values())
    # A retry answers the same selections; the single form agrees with them.
    again = selection.select_many(requests, ctx, arms)
    assert {u: r.id for u, r in again.items()} == {u: r.id for u, r in first.items()}
    u, req = requests[0]
    assert selection.select(u, ctx, arms, request_id=req).id == first[u].id
    # A request id used with other candidates earns the refusal for that user only.
    mixed = selection.select_many([requests[1], (f"u-{uuid.uuid4().hex[:8]}", "req-new")], ctx, ["a", "b"])
    assert isinstance(mixed[requests[1][0]], AlreadyExists) and mixed[requests[1][0]].reason == "REQUEST_ID_REUSED"
    assert [r.arm in ("a", "b") for k, r in mixed.items() if k != requests[1][0]] == [True]
