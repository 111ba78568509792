"""RecordActivity and friends through a real gRPC server on a real PostgreSQL database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf import struct_pb2, timestamp_pb2
from grpc_failure import failure

from engage.activity.v1 import activity_pb2 as a
from engage.activity.v1 import activity_service_pb2 as pb

T = 5  # every call sets a deadline


def counters(activity, as_user, user_id):
    return activity.GetUserActivity(pb.GetUserActivityRequest(user_id=user_id), metadata=as_user("svc", "service"), timeout=T).activity


def test_a_user_records_an_event_and_reads_their_counters(activity, as_user, user_id):
    me = as_user(user_id)
    for kind in (a.ROULETTE_PLAY, a.ROULETTE_PLAY, a.DICE_PLAY, a.LOTTERY_PLAY, a.REVIEW, a.VISIT):
        r = activity.RecordActivity(pb.RecordActivityRequest(event_type=kind), metadata=me, timeout=T)
        assert r.user_id == user_id and not r.duplicate
        uuid.UUID(r.event_id)  # the server assigned one
    activity.RecordActivity(pb.RecordActivityRequest(event_type=a.PLAY_DURATION, value=90), metadata=me, timeout=T)
    activity.RecordActivity(pb.RecordActivityRequest(event_type=a.PLAY_DURATION, value=30), metadata=me, timeout=T)
    activity.RecordActivity(pb.RecordActivityRequest(event_type=a.BONUS_USED), metadata=me, timeout=T)
    activity.RecordActivity(pb.RecordActivityRequest(event_type=a.LOGIN), metadata=me, timeout=T)

    got = activity.GetUserActivity(pb.GetUserActivityRequest(), metadata=me, timeout=T).activity
    assert (got.user_id, got.roulette_plays, got.dice_plays, got.lottery_plays) == (user_id, 2, 1, 1)
    assert (got.review_count, got.total_play_duration, got.purchase_count) == (1, 120, 0)
    assert got.HasField("last_bonus_used_at") and got.HasField("last_login_at")
    assert not got.HasField("last_charge_at")
    assert got.first_seen_at.ToDatetime() <= got.last_active_at.ToDatetime()


def test_a_replay_changes_nothing_and_answers_the_original_result(activity, as_user, user_id):
    me = as_user(user_id)
    req = pb.RecordActivityRequest(event_type=a.ROULETTE_PLAY, event_id=str(uuid.uuid4()), value=2)
    first = activity.RecordActivity(req, metadata=me, timeout=T)
    again = activity.RecordActivity(req, metadata=me, timeout=T)
    assert (first.duplicate, again.duplicate) == (False, True)
    assert again.updated_at == first.updated_at and again.event_id == first.event_id
    assert counters(activity, as_user, user_id).roulette_plays == 1


def test_an_event_id_reused_with_another_payload_is_refused(activity, as_user, user_id):
    me = as_user(user_id)
    eid = str(uuid.uuid4())
    activity.RecordActivity(pb.RecordActivityRequest(event_type=a.ROULETTE_PLAY, event_id=eid), metadata=me, timeout=T)
    code, reason, _ = failure(
        lambda: activity.RecordActivity(pb.RecordActivityRequest(event_type=a.DICE_PLAY, event_id=eid), metadata=me, timeout=T)
    )
    assert (code, reason) == (grpc.StatusCode.ALREADY_EXISTS, "EVENT_ID_REUSED")
    # Another user replaying someone else's id is a conflict too, not a read of their result.
    code, reason, _ = failure(
        lambda: activity.RecordActivity(pb.RecordActivityRequest(event_type=a.ROULETTE_PLAY, event_id=eid), metadata=as_user("someone-else"), timeout=T)
    )
    assert (code, reason) == (grpc.StatusCode.ALREADY_EXISTS, "EVENT_ID_REUSED")
    got = counters(activity, as_user, user_id)
    assert (got.roulette_plays, got.dice_plays) == (1, 0)


def test_purchases_refunds_and_charges_come_from_trusted_callers(activity, as_user, user_id):
    svc = as_user("order-service", "service")
    buy = pb.RecordActivityRequest(user_id=user_id, event_type=a.PURCHASE, amount=30_000, currency="KRW", category="shoes", order_id="o-1")
    activity.RecordActivity(buy, metadata=svc, timeout=T)
    activity.RecordActivity(pb.RecordActivityRequest(user_id=user_id, event_type=a.PURCHASE, amount=20_000, order_id="o-2"), metadata=svc, timeout=T)
    activity.RecordActivity(pb.RecordActivityRequest(user_id=user_id, event_type=a.PURCHASE_REFUND, amount=5_000, order_id="o-1"), metadata=svc, timeout=T)
    activity.RecordActivity(pb.RecordActivityRequest(user_id=user_id, event_type=a.CHARGE, amount=10_000), metadata=as_user("ops", "admin"), timeout=T)
    got = counters(activity, as_user, user_id)
    assert (got.purchase_count, got.purchase_total, got.currency) == (2, 45_000, "KRW")
    assert got.HasField("last_charge_at")

    for kind in (a.PURCHASE, a.PURCHASE_REFUND, a.CHARGE):
        code, reason, _ = failure(
            lambda: activity.RecordActivity(pb.RecordActivityRequest(event_type=kind, amount=1, order_id="o"), metadata=as_user(user_id), timeout=T)
        )
        assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "TRUSTED_CALLER_REQUIRED")
    assert counters(activity, as_user, user_id).purchase_count == 2


def test_trusted_callers_may_date_events_but_users_may_not(activity, as_user, user_id):
    when = timestamp_pb2.Timestamp()
    when.FromDatetime(datetime(2026, 3, 1, 12, tzinfo=UTC))
    activity.RecordActivity(pb.RecordActivityRequest(user_id=user_id, event_type=a.LOGIN, occurred_at=when), metadata=as_user("svc", "service"), timeout=T)
    assert counters(activity, as_user, user_id).last_login_at == when
    code, reason, _ = failure(
        lambda: activity.RecordActivity(pb.RecordActivityRequest(event_type=a.LOGIN, occurred_at=when), metadata=as_user(user_id), timeout=T)
    )
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "TRUSTED_CALLER_REQUIRED")
    future = timestamp_pb2.Timestamp()
    future.FromDatetime(datetime.now(UTC) + timedelta(hours=1))
    code, _, fields = failure(
        lambda: activity.RecordActivity(pb.RecordActivityRequest(user_id=user_id, event_type=a.LOGIN, occurred_at=future), metadata=as_user("svc", "service"), timeout=T)
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "occurred_at" in fields


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (pb.RecordActivityRequest(), "event_type"),
        (pb.RecordActivityRequest(event_type=99), "event_type"),
        (pb.RecordActivityRequest(event_type=a.VISIT, event_id="not-a-uuid"), "event_id"),
        (pb.RecordActivityRequest(event_type=a.PLAY_DURATION), "value"),
        (pb.RecordActivityRequest(event_type=a.PLAY_DURATION, value=-1), "value"),
        (pb.RecordActivityRequest(event_type=a.VISIT, user_id="x" * 129), "user_id"),
        (pb.RecordActivityRequest(event_type=a.VISIT, amount=5), "amount"),
        (pb.RecordActivityRequest(event_type=a.VISIT, currency="won"), "currency"),
    ],
)
def test_bad_input_is_refused_with_the_field_named_and_changes_nothing(activity, as_user, user_id, request_, field):
    if request_.user_id == "":
        request_.user_id = user_id
    md = as_user(user_id) if len(request_.user_id) <= 128 else as_user("svc", "service")
    code, reason, fields = failure(lambda: activity.RecordActivity(request_, metadata=md, timeout=T))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and reason == "INVALID_FIELDS"
    assert field in fields
    assert counters(activity, as_user, user_id).last_active_at.seconds == 0


def test_meta_json_is_kept_and_bounded(activity, as_user, user_id, sql):
    meta = struct_pb2.Struct()
    meta.update({"game": "roulette", "spins": 3, "tags": ["a", "b"]})
    r = activity.RecordActivity(pb.RecordActivityRequest(event_type=a.ROULETTE_PLAY, meta_json=meta), metadata=as_user(user_id), timeout=T)
    (stored,) = sql("SELECT meta FROM activity.events WHERE event_id = %(e)s", e=r.event_id)
    assert stored[0] == {"game": "roulette", "spins": 3, "tags": ["a", "b"]}
    big = struct_pb2.Struct()
    big.update({"blob": "x" * 5000})
    code, _, fields = failure(
        lambda: activity.RecordActivity(pb.RecordActivityRequest(event_type=a.VISIT, meta_json=big), metadata=as_user(user_id), timeout=T)
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "meta_json" in fields


def test_money_in_another_currency_is_refused(activity, as_user, user_id):
    code, reason, _ = failure(
        lambda: activity.RecordActivity(
            pb.RecordActivityRequest(user_id=user_id, event_type=a.PURCHASE, amount=10, currency="USD", order_id="o"),
            metadata=as_user("svc", "service"),
            timeout=T,
        )
    )
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "CURRENCY_NOT_SUPPORTED")


def test_a_batch_answers_one_result_per_event_in_order(activity, as_user):
    users = [f"b-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    ids = [str(uuid.uuid4()) for _ in range(4)]
    svc = as_user("svc", "service")
    activity.RecordActivity(pb.RecordActivityRequest(user_id=users[0], event_type=a.DICE_PLAY, event_id=ids[0]), metadata=svc, timeout=T)
    events = [
        pb.RecordActivityRequest(user_id=users[0], event_type=a.DICE_PLAY, event_id=ids[0]),  # seen before
        pb.RecordActivityRequest(user_id=users[1], event_type=a.ROULETTE_PLAY, event_id=ids[1]),
        pb.RecordActivityRequest(user_id=users[1], event_type=a.ROULETTE_PLAY, event_id=ids[1]),  # repeat in batch
        pb.RecordActivityRequest(user_id=users[2], event_type=a.DICE_PLAY, event_id=ids[1]),  # reuse in batch
        pb.RecordActivityRequest(user_id=users[0], event_type=a.ROULETTE_PLAY, event_id=ids[0]),  # reuse of old id
        pb.RecordActivityRequest(user_id=users[2], event_type=a.PLAY_DURATION, value=60, event_id=ids[2]),
        pb.RecordActivityRequest(user_id=users[2], event_type=a.VISIT),
    ]
    r = activity.RecordActivities(pb.RecordActivitiesRequest(events=events), metadata=svc, timeout=T)
    R = pb.RecordActivitiesResponse.EventResult
    assert [x.outcome for x in r.results] == [R.DUPLICATE, R.RECORDED, R.DUPLICATE, R.CONFLICT, R.CONFLICT, R.RECORDED, R.RECORDED]
    assert [x.user_id for x in r.results][:4] == [users[0], users[1], users[1], users[1]]
    assert counters(activity, as_user, users[0]).dice_plays == 1
    assert counters(activity, as_user, users[1]).roulette_plays == 1
    c2 = counters(activity, as_user, users[2])
    assert (c2.dice_plays, c2.total_play_duration) == (0, 60)


def test_a_malformed_event_refuses_the_whole_batch(activity, as_user, user_id):
    events = [
        pb.RecordActivityRequest(user_id=user_id, event_type=a.VISIT),
        pb.RecordActivityRequest(user_id=user_id, event_type=a.PLAY_DURATION),
        pb.RecordActivityRequest(event_type=a.VISIT),
    ]
    code, _, fields = failure(
        lambda: activity.RecordActivities(pb.RecordActivitiesRequest(events=events), metadata=as_user("svc", "service"), timeout=T)
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert set(fields) == {"events[1].value", "events[2].user_id"}
    assert counters(activity, as_user, user_id).last_active_at.seconds == 0


def test_batches_are_limited_to_1000_events(activity, as_user):
    events = [pb.RecordActivityRequest(user_id="x", event_type=a.VISIT)] * 1001
    code, _, fields = failure(
        lambda: activity.RecordActivities(pb.RecordActivitiesRequest(events=events), metadata=as_user("svc", "service"), timeout=T)
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "events" in fields


def test_users_cannot_call_batch_or_admin_rpcs(activity, as_user, user_id):
    me = as_user(user_id)
    code, reason, _ = failure(
        lambda: activity.RecordActivities(pb.RecordActivitiesRequest(events=[pb.RecordActivityRequest(user_id=user_id, event_type=a.VISIT)]), metadata=me, timeout=T)
    )
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_NOT_ALLOWED")
    entries = [a.DepositEntry(user_id=user_id, deposit_amount=10**9)]
    for md in (me, as_user("svc", "service")):
        code, reason, _ = failure(lambda: activity.UpsertExternalDeposits(pb.UpsertExternalDepositsRequest(entries=entries), metadata=md, timeout=T))
        assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_NOT_ALLOWED")
    assert counters(activity, as_user, user_id).deposit_amount == 0


def test_a_user_cannot_read_or_write_another_users_data(activity, as_user, user_id):
    other = f"other-{uuid.uuid4().hex[:6]}"
    code, reason, _ = failure(lambda: activity.GetUserActivity(pb.GetUserActivityRequest(user_id=other), metadata=as_user(user_id), timeout=T))
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_YOUR_DATA")
    code, reason, _ = failure(
        lambda: activity.RecordActivity(pb.RecordActivityRequest(user_id=other, event_type=a.VISIT), metadata=as_user(user_id), timeout=T)
    )
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_YOUR_DATA")
    assert counters(activity, as_user, other).last_active_at.seconds == 0


def test_service_callers_must_name_the_user(activity, as_user):
    code, _, fields = failure(lambda: activity.GetUserActivity(pb.GetUserActivityRequest(), metadata=as_user("svc", "service"), timeout=T))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "user_id" in fields


@pytest.mark.parametrize("kind", ["none", "garbage", "expired", "foreign_key", "wrong_audience", "bad_role"])
def test_a_missing_or_bad_token_is_unauthenticated(activity, settings, kind, user_id):
    import dataclasses

    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    from services.common import auth

    if kind == "none":
        md = ()
    elif kind == "garbage":
        md = (("authorization", "Bearer not.a.jwt"),)
    elif kind == "expired":
        md = (("authorization", f"Bearer {auth.issue_token(settings, user_id, 'user', ttl_seconds=-120)}"),)
    elif kind == "foreign_key":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        md = (("authorization", f"Bearer {auth.issue_token(settings, user_id, 'user', key=key)}"),)
    elif kind == "wrong_audience":
        other = dataclasses.replace(settings, jwt_audience="someone-else")
        md = (("authorization", f"Bearer {auth.issue_token(other, user_id, 'user')}"),)
    else:
        key = auth.load_or_create_dev_key(settings.dev_key_path)
        bad = jwt.encode({"sub": user_id, "role": "root", "iss": settings.jwt_issuer, "aud": settings.jwt_audience, "exp": 2**31}, key, algorithm="RS256", headers={"kid": auth.DEV_KID})
        md = (("authorization", f"Bearer {bad}"),)
    code, reason, _ = failure(lambda: activity.RecordActivity(pb.RecordActivityRequest(event_type=a.VISIT), metadata=md, timeout=T))
    assert code == grpc.StatusCode.UNAUTHENTICATED
    assert reason in {"MISSING_TOKEN", "INVALID_TOKEN", "TOKEN_EXPIRED", "UNKNOWN_SIGNING_KEY"}


def test_external_deposits_move_last_charge_only_when_they_increase(activity, as_user, sql):
    u1, u2 = f"d-{uuid.uuid4().hex[:8]}", f"d-{uuid.uuid4().hex[:8]}"
    admin = as_user("ops-kim", "admin")
    r = activity.UpsertExternalDeposits(
        pb.UpsertExternalDepositsRequest(entries=[a.DepositEntry(user_id=u1, deposit_amount=500_000), a.DepositEntry(user_id=u2, deposit_amount=0)]),
        metadata=admin,
        timeout=T,
    )
    assert [(x.previous_amount, x.deposit_amount, x.increased) for x in r.results] == [(0, 500_000, True), (0, 0, False)]
    first = counters(activity, as_user, u1)
    assert first.deposit_amount == 500_000 and first.HasField("last_charge_at")
    assert not counters(activity, as_user, u2).HasField("last_charge_at")

    same = activity.UpsertExternalDeposits(pb.UpsertExternalDepositsRequest(entries=[a.DepositEntry(user_id=u1, deposit_amount=500_000)]), metadata=admin, timeout=T)
    assert not same.results[0].increased
    assert counters(activity, as_user, u1).last_charge_at == first.last_charge_at
    down = activity.UpsertExternalDeposits(pb.UpsertExternalDepositsRequest(entries=[a.DepositEntry(user_id=u1, deposit_amount=100)]), metadata=admin, timeout=T)
    assert (down.results[0].previous_amount, down.results[0].increased) == (500_000, False)
    assert counters(activity, as_user, u1).last_charge_at == first.last_charge_at
    audit = sql("SELECT previous_amount, deposit_amount, changed_by FROM activity.deposit_audit WHERE user_id = %(u)s ORDER BY id", u=u1)
    assert audit == [(0, 500_000, "ops-kim"), (500_000, 100, "ops-kim")]


def test_external_deposits_refuse_a_user_listed_twice(activity, as_user):
    u = f"d-{uuid.uuid4().hex[:8]}"
    entries = [a.DepositEntry(user_id=u, deposit_amount=1), a.DepositEntry(user_id=u, deposit_amount=2)]
    code, reason, fields = failure(
        lambda: activity.UpsertExternalDeposits(pb.UpsertExternalDepositsRequest(entries=entries), metadata=as_user("ops", "admin"), timeout=T)
    )
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "DUPLICATE_USER") and "entries[1].user_id" in fields
    assert counters(activity, as_user, u).deposit_amount == 0
    code, _, fields = failure(
        lambda: activity.UpsertExternalDeposits(pb.UpsertExternalDepositsRequest(entries=[a.DepositEntry(user_id=u, deposit_amount=-5)]), metadata=as_user("ops", "admin"), timeout=T)
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "entries[0].deposit_amount" in fields


def test_health_and_reflection_are_served(channel):
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    stub = health_pb2_grpc.HealthStub(channel)
    for name in ("", "engage.activity.v1.ActivityService"):
        assert stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=T).status == health_pb2.HealthCheckResponse.SERVING
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    refl = reflection_pb2_grpc.ServerReflectionStub(channel)
    (resp,) = list(refl.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=T))
    assert "engage.activity.v1.ActivityService" in {s.name for s in resp.list_services_response.service}
