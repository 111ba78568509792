"""The campaign delivery engine on real PostgreSQL and the real broker: a segment delivered exactly
once by a worker, the control group, the frequency cap, quiet hours, pause/resume/cancel/end, and
every reward type granted once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dramatiq

from campaign_delivery_support import drain, make_campaign, seed_segment, statuses, work
from services.campaign import actors, delivery, domain


def _flush():
    broker = dramatiq.get_broker()
    broker.declare_queue("campaign")
    broker.flush("campaign")


def test_a_scheduled_campaign_reaches_each_user_of_its_segment_exactly_once(sql, ledger_matches_wallets):
    _flush()
    segment, users = seed_segment(sql, 1000)
    cid = make_campaign(sql, segment, status="SCHEDULED")
    swept = delivery.run_due()
    assert swept["started"] >= 1 and swept["launched"] >= 1
    assert sql("SELECT status, launched_at IS NOT NULL FROM campaign.campaigns WHERE id = %(c)s", c=cid) == [("RUNNING", True)]
    batches = sql("SELECT count(*), sum(users), count(enqueued_at) FROM campaign.batches WHERE campaign_id = %(c)s", c=cid)
    assert batches == [(1, 1000, 1)]  # the default batch size is 1,000
    assert work({"campaign"}, lambda: statuses(sql, cid) == {"DELIVERED": 1000})
    key = f"campaign:{cid}:%"
    ledger = sql("SELECT count(*), count(DISTINCT user_id), min(delta), max(delta), min(reason), min(token_type) "
                 "FROM reward.ledger WHERE idempotency_key LIKE %(k)s", k=key)
    assert ledger == [(1000, 1000, 2, 2, "CAMPAIGN", "DICE_TOKEN")]
    inbox = sql("SELECT count(*), count(DISTINCT user_id) FROM campaign.inbox_messages WHERE campaign_id = %(c)s", c=cid)
    assert inbox == [(1000, 1000)]
    body = sql("SELECT title, body FROM campaign.inbox_messages WHERE campaign_id = %(c)s AND user_id = %(u)s", c=cid, u=users[7])
    name = sql("SELECT name FROM campaign.campaigns WHERE id = %(c)s", c=cid)[0][0]
    assert body == [(name, f"Hi {users[7]}, you got 2 DICE_TOKEN from {name}")]
    assert sql("SELECT count(*) FROM campaign.campaign_logs WHERE campaign_id = %(c)s AND (delivered_at IS NULL "
               "OR meta_json->>'message_id' IS NULL)", c=cid) == [(0,)]

    # Redelivered messages and a direct re-run change nothing.
    for _ in range(3):
        actors.deliver_batch.send(cid, 0)
    drain({"campaign"})
    assert delivery.deliver(cid).claimed == 0
    assert delivery.launch(cid) == 0
    assert sql("SELECT count(*) FROM reward.ledger WHERE idempotency_key LIKE %(k)s", k=key) == [(1000,)]
    assert sql("SELECT count(*) FROM campaign.inbox_messages WHERE campaign_id = %(c)s", c=cid) == [(1000,)]
    assert sql("SELECT sum(balance) FROM reward.wallets WHERE user_id = ANY(%(u)s) AND token_type = 'DICE_TOKEN'", u=users) == [(2000,)]

    delivery.run_due()
    assert sql("SELECT status FROM campaign.campaigns WHERE id = %(c)s", c=cid) == [("COMPLETED",)]
    assert sql("SELECT status FROM campaign.batches WHERE campaign_id = %(c)s", c=cid) == [("DONE",)]


def _run(cid: int, *, batch_size: int | None = None, now=None) -> None:
    """Launch and deliver every batch in this process (no broker)."""
    delivery.launch(cid, batch_size=batch_size, now=now)
    for (b,) in _sql_batches(cid):
        delivery.deliver(cid, batch=b, now=now)


def _sql_batches(cid):
    from services.common import db
    import sqlalchemy as sa

    with db.transaction() as conn:
        return conn.execute(sa.text("SELECT batch FROM campaign.batches WHERE campaign_id = :c ORDER BY batch"), {"c": cid}).all()


def _with_settings(monkeypatch, **changes):
    import dataclasses

    from services.common.config import settings

    changed = dataclasses.replace(settings(), **changes)
    monkeypatch.setattr(delivery, "settings", lambda: changed)


def test_the_control_group_is_a_stable_hash_share_and_gets_nothing(sql, ledger_matches_wallets):
    segment, users = seed_segment(sql, 2000)
    for _ in range(2):  # a second campaign holds out its own, equally deterministic, share
        cid = make_campaign(sql, segment, control_group_percent=20)
        _run(cid, batch_size=500)
        rows = dict(sql("SELECT user_id, status FROM campaign.campaign_logs WHERE campaign_id = %(c)s", c=cid))
        assert len(rows) == 2000
        held = {u for u, s in rows.items() if s == "HELD_OUT"}
        assert abs(len(held) - 400) <= 4 * (2000 * 0.2 * 0.8) ** 0.5
        assert held == {u for u in users if domain.control_bucket(cid, u) < 20}
        assert {s for u, s in rows.items() if u not in held} == {"DELIVERED"}
        assert sql("SELECT count(*) FROM reward.ledger WHERE idempotency_key LIKE %(k)s", k=f"campaign:{cid}:%") == [(2000 - len(held),)]
        assert sql("SELECT count(*) FROM campaign.inbox_messages WHERE campaign_id = %(c)s AND user_id = ANY(%(h)s)",
                   c=cid, h=list(held)) == [(0,)]
        assert sql("SELECT count(*) FROM campaign.campaign_logs WHERE campaign_id = %(c)s AND status = 'HELD_OUT' "
                   "AND (processed_at IS NULL OR batch IS NOT NULL)", c=cid) == [(0,)]


def test_entry_targeting_holds_out_the_control_group_and_targets_each_user_once(sql):
    from services.campaign import triggers

    _flush()
    segment, users = seed_segment(sql, 300)
    cid = make_campaign(sql, segment, trigger="SEGMENT_ENTRY", control_group_percent=30)
    now = datetime.now(UTC)
    for u in users + users[:5]:  # five users enter twice
        triggers.on_segment_changed({"user_id": u, "to_segment": segment, "changed_at": now.isoformat()}, now=now)
    _flush()  # the delivery messages the entries enqueued: delivered below by hand
    pending = [r[0] for r in sql("SELECT user_id FROM campaign.campaign_logs WHERE campaign_id = %(c)s AND status = 'PENDING' "
                                 "ORDER BY user_id", c=cid)]
    assert pending == sorted(u for u in users if domain.control_bucket(cid, u) >= 30)
    assert statuses(sql, cid) == {"PENDING": len(pending), "HELD_OUT": 300 - len(pending)}
    out = delivery.deliver(cid, user_ids=pending[:10])
    assert out.claimed == 10 and out.statuses == {"DELIVERED": 10}
    assert sql("SELECT count(*) FROM campaign.campaign_logs WHERE campaign_id = %(c)s AND batch IS NULL "
               "AND meta_json->>'trigger' = 'SEGMENT_ENTRY'", c=cid) == [(300,)]


def test_the_frequency_cap_suppresses_users_at_it_and_is_never_exceeded(sql, monkeypatch, ledger_matches_wallets):
    import threading

    segment, users = seed_segment(sql, 50)
    today = delivery.cap_day(datetime.now(UTC))
    sql("INSERT INTO campaign.daily_sends (user_id, day, sent) VALUES (%(u)s, %(d)s, 3)", u=users[0], d=today)
    cid = make_campaign(sql, segment)
    _run(cid)
    assert sql("SELECT status, reason FROM campaign.campaign_logs WHERE campaign_id = %(c)s AND user_id = %(u)s",
               c=cid, u=users[0]) == [("SUPPRESSED", "FREQUENCY_CAP")]
    assert sql("SELECT count(*) FROM reward.ledger WHERE user_id = %(u)s", u=users[0]) == [(0,)]
    assert statuses(sql, cid) == {"DELIVERED": 49, "SUPPRESSED": 1}
    assert sql("SELECT sent FROM campaign.daily_sends WHERE user_id = %(u)s", u=users[1]) == [(1,)]

    # A cap of 2: four campaigns racing over the same users deliver exactly two messages to each.
    _with_settings(monkeypatch, campaign_frequency_cap=2)
    segment, users = seed_segment(sql, 300)
    cids = [make_campaign(sql, segment) for _ in range(4)]
    for c in cids:
        delivery.launch(c, batch_size=100)
    errors = []

    def deliver_all(c):
        try:
            for b in range(3):
                delivery.deliver(c, batch=b)
        except Exception as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=deliver_all, args=(c,)) for c in cids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    per_user = sql("SELECT user_id, count(*) FILTER (WHERE status = 'DELIVERED'), count(*) FILTER (WHERE status = 'SUPPRESSED') "
                   "FROM campaign.campaign_logs WHERE campaign_id = ANY(%(c)s) GROUP BY user_id", c=cids)
    assert len(per_user) == 300 and {(d, s) for _, d, s in per_user} == {(2, 2)}
    assert sql("SELECT max(sent), min(sent) FROM campaign.daily_sends WHERE user_id = ANY(%(u)s)", u=users) == [(2, 2)]
    assert sql("SELECT count(*) FROM reward.ledger WHERE user_id = ANY(%(u)s)", u=users) == [(600,)]


def test_quiet_hours_hold_the_campaign_until_the_window_ends(sql):
    segment, users = seed_segment(sql, 30)
    cid = make_campaign(sql, segment, quiet_hours_start="22:00", quiet_hours_end="08:00", timezone="Asia/Seoul")
    night = datetime(2030, 5, 1, 23, 30, tzinfo=domain.zone("Asia/Seoul"))
    delivery.launch(cid, now=night)
    out = delivery.deliver(cid, batch=0, now=night)
    assert out.claimed == 0 and out.held_until == datetime(2030, 5, 2, 8, 0, tzinfo=domain.zone("Asia/Seoul"))
    assert statuses(sql, cid) == {"PENDING": 30}
    morning = datetime(2030, 5, 2, 8, 0, tzinfo=domain.zone("Asia/Seoul"))
    out = delivery.deliver(cid, batch=0, now=morning)
    assert out.held_until is None and out.statuses == {"DELIVERED": 30}
    assert sql("SELECT min(delivered_at) FROM campaign.campaign_logs WHERE campaign_id = %(c)s", c=cid) == [(morning,)]


def _move(cid, action):
    from services.campaign import repository
    from services.common import db

    with db.transaction() as conn:
        repository.move(conn, cid, action, by="ops-1", now=datetime.now(UTC))


def test_pause_holds_the_rest_resume_finishes_cancel_and_end_close(sql):
    _flush()
    segment, users = seed_segment(sql, 500)
    cid = make_campaign(sql, segment)
    delivery.launch(cid, batch_size=100)
    for b in (0, 1):
        delivery.deliver(cid, batch=b)
    _move(cid, "pause")
    assert delivery.deliver(cid, batch=2).claimed == 0
    assert statuses(sql, cid) == {"DELIVERED": 200, "PENDING": 300}
    _move(cid, "resume")
    assert delivery.requeue(cid) == 3
    assert work({"campaign"}, lambda: statuses(sql, cid) == {"DELIVERED": 500})

    canceled = make_campaign(sql, segment)
    delivery.launch(canceled, batch_size=100)
    delivery.deliver(canceled, batch=0)
    _move(canceled, "cancel")
    assert delivery.deliver(canceled, batch=1).claimed == 0
    assert statuses(sql, canceled) == {"DELIVERED": 100, "CANCELED": 400}

    now = datetime.now(UTC)
    ending = make_campaign(sql, segment, start_at=now - timedelta(hours=2), end_at=now - timedelta(minutes=1))
    delivery.launch(ending, batch_size=100)
    delivery.deliver(ending, batch=0)
    _flush()
    delivery.run_due(now=now)
    assert sql("SELECT status FROM campaign.campaigns WHERE id = %(c)s", c=ending) == [("COMPLETED",)]
    assert statuses(sql, ending) == {"DELIVERED": 100, "CANCELED": 400}
    _flush()


def test_points_coupon_and_offer_rewards_are_granted_once(sql, coupons, admin, ledger_matches_wallets):
    from coupon_support import make_coupon

    segment, users = seed_segment(sql, 20)
    points = make_campaign(sql, segment, reward_type="POINTS", reward_value={"points": 150})
    template = make_coupon(coupons, admin, value=5)
    coupon = make_campaign(sql, segment, reward_type="COUPON", reward_value={"coupon_id": str(template.coupon_id)},
                           message_template="Your code {coupon_code} ({reward})")
    offers = {"offers": [
        {"arm": "dice", "label": "3 dice", "reward_type": "TOKEN", "reward_value": {"token_type": "DICE_TOKEN", "amount": 3}},
        {"arm": "points", "label": "2x points", "reward_type": "POINTS", "reward_value": {"points": 40}},
    ]}
    offer = make_campaign(sql, segment, reward_type="OFFER", reward_value=offers, message_template="{offer} for {user_id}")
    for _ in range(2):
        for c in (points, coupon, offer):
            _run(c)
    for c in (points, coupon, offer):
        assert statuses(sql, c) == {"DELIVERED": 20}
    assert sql("SELECT count(*), count(DISTINCT user_id), sum(points) FROM loyalty.lots WHERE idempotency_key LIKE %(k)s",
               k=f"campaign:{points}:%") == [(20, 20, 3000)]
    issued = sql("SELECT l.user_id, c.assigned_user_id, c.code, l.meta_json->>'coupon_code', i.body FROM campaign.campaign_logs l "
                 "JOIN coupon.coupons c ON c.id = l.coupon_id JOIN campaign.inbox_messages i ON i.campaign_id = l.campaign_id "
                 "AND i.user_id = l.user_id WHERE l.campaign_id = %(c)s", c=coupon)
    assert len(issued) == 20 and len({r[2] for r in issued}) == 20
    assert all(u == a and code == m and body == f"Your code {code} ({code})" for u, a, code, m, body in issued)
    assert sql("SELECT count(*) FROM coupon.coupons WHERE template_id = %(t)s", t=template.coupon_id) == [(20,)]
    chosen = sql("SELECT l.user_id, l.offer, s.arm, i.body FROM campaign.campaign_logs l "
                 "JOIN reward.bandit_selections s ON s.id::text = l.selection_id "
                 "JOIN campaign.inbox_messages i ON i.campaign_id = l.campaign_id AND i.user_id = l.user_id "
                 "WHERE l.campaign_id = %(c)s", c=offer)
    assert len(chosen) == 20 and all(o == a for _, o, a, _ in chosen)
    labels = {"dice": "3 dice", "points": "2x points"}
    assert all(body == f"{labels[o]} for {u}" for u, o, _, body in chosen)
    by_arm = {a: {u for u, o, _, _ in chosen if o == a} for a in labels}
    k = f"campaign:{offer}:%"
    assert {r[0] for r in sql("SELECT user_id FROM reward.ledger WHERE idempotency_key LIKE %(k)s", k=k)} == by_arm["dice"]
    assert {r[0] for r in sql("SELECT user_id FROM loyalty.lots WHERE idempotency_key LIKE %(k)s", k=k)} == by_arm["points"]
    assert sql("SELECT count(*) FROM reward.ledger WHERE idempotency_key LIKE %(k)s", k=k)[0][0] == len(by_arm["dice"])


def test_an_exhausted_budget_or_expired_coupon_fails_users_and_grants_nothing(sql, coupons, admin, ledger_matches_wallets):
    from coupon_support import make_coupon

    segment, users = seed_segment(sql, 10)
    cid = make_campaign(sql, segment)
    sql("INSERT INTO reward.budgets (owner_kind, owner_id, unit, total_limit, created_at, created_by, updated_at, updated_by) "
        "VALUES ('CAMPAIGN', %(o)s, 'COUNT', 4, now(), 't', now(), 't')", o=str(cid))
    _run(cid)
    assert statuses(sql, cid) == {"DELIVERED": 4, "FAILED": 6}
    refused = [r[0] for r in sql("SELECT user_id FROM campaign.campaign_logs WHERE campaign_id = %(c)s AND status = 'FAILED' "
                                 "AND reason = 'BUDGET_EXHAUSTED'", c=cid)]
    assert len(refused) == 6
    assert sql("SELECT count(*) FROM reward.ledger WHERE user_id = ANY(%(u)s)", u=refused) == [(0,)]
    assert sql("SELECT count(*) FROM campaign.inbox_messages WHERE user_id = ANY(%(u)s)", u=refused) == [(0,)]
    assert sql("SELECT coalesce(sum(sent), 0) FROM campaign.daily_sends WHERE user_id = ANY(%(u)s)", u=refused) == [(0,)]
    assert sql("SELECT spent_total FROM reward.budgets WHERE owner_kind = 'CAMPAIGN' AND owner_id = %(o)s", o=str(cid)) == [(4,)]
    # The four the budget covered got their tokens, each counted by one charge under its grant key.
    delivered = [r[0] for r in sql("SELECT user_id FROM campaign.campaign_logs WHERE campaign_id = %(c)s AND status = 'DELIVERED'", c=cid)]
    assert sql("SELECT count(*), sum(delta) FROM reward.ledger WHERE user_id = ANY(%(u)s)", u=delivered) == [(4, 8)]
    assert sql("SELECT count(*) FROM reward.budget_charges WHERE key = ANY(%(k)s)",
               k=[delivery.grant_key(cid, u) for u in delivered]) == [(4,)]

    template = make_coupon(coupons, admin, value=5)
    sql("UPDATE coupon.coupons SET starts_at = now() - interval '2 days', expires_at = now() - interval '1 day' WHERE id = %(i)s",
        i=template.coupon_id)
    expired = make_campaign(sql, segment, reward_type="COUPON", reward_value={"coupon_id": str(template.coupon_id)})
    _run(expired)
    assert sql("SELECT status, reason, count(*) FROM campaign.campaign_logs WHERE campaign_id = %(c)s GROUP BY 1, 2",
               c=expired) == [("FAILED", "REWARD_UNAVAILABLE", 10)]
    assert sql("SELECT count(*) FROM coupon.coupons WHERE template_id = %(t)s", t=template.coupon_id) == [(0,)]


def test_old_frequency_cap_counters_are_pruned_and_todays_kept(sql):
    now = datetime(2031, 3, 10, 3, 0, tzinfo=UTC)
    today = delivery.cap_day(now)
    user = f"prune-{now.timestamp():.0f}"
    for days_ago in (0, 1, 2, 5):
        sql("INSERT INTO campaign.daily_sends (user_id, day, sent) VALUES (%(u)s, %(d)s, 1)", u=user, d=today - timedelta(days=days_ago))
    delivery.prune_daily_sends(now)
    kept = sql("SELECT day FROM campaign.daily_sends WHERE user_id = %(u)s ORDER BY day", u=user)
    assert kept == [(today - timedelta(days=1),), (today,)]


def _tx():
    from services.common import db

    return db.transaction()


def test_one_failing_grant_fails_only_that_user_and_the_rest_of_the_batch_delivers(sql, ledger_matches_wallets):
    from services.reward import wallet

    segment, users = seed_segment(sql, 6)
    cid = make_campaign(sql, segment)
    bad = users[2]
    # The user's campaign key was already used for another amount: post_many refuses the whole call
    # with IDEMPOTENCY_KEY_REUSED, which a retry of the batch would only repeat.
    with _tx() as conn:
        wallet.post(conn, user_id=bad, token_type="DICE_TOKEN", delta=7, reason="CAMPAIGN",
                    idempotency_key=delivery.grant_key(cid, bad))
    delivery.launch(cid)
    out = delivery.deliver(cid, batch=0)
    assert out.statuses == {"DELIVERED": 5, "FAILED": 1}
    assert statuses(sql, cid) == {"DELIVERED": 5, "FAILED": 1}
    [(status, reason, error)] = sql("SELECT status, reason, meta_json->>'error' FROM campaign.campaign_logs "
                                    "WHERE campaign_id = %(c)s AND user_id = %(u)s", c=cid, u=bad)
    assert (status, reason) == ("FAILED", "REWARD_ERROR") and "IDEMPOTENCY_KEY_REUSED" in error and len(error) <= 300
    assert sql("SELECT status FROM campaign.batches WHERE campaign_id = %(c)s", c=cid) == [("DONE",)]
    assert sql("SELECT user_id, delta FROM reward.ledger WHERE idempotency_key LIKE %(k)s ORDER BY user_id",
               k=f"campaign:{cid}:%") == sorted([(u, 2) for u in users if u != bad] + [(bad, 7)])
    assert sql("SELECT count(*) FROM campaign.inbox_messages WHERE campaign_id = %(c)s AND user_id = %(u)s", c=cid, u=bad) == [(0,)]
    # Its frequency-cap slot was given back; the others count their message.
    caps = dict(sql("SELECT user_id, sent FROM campaign.daily_sends WHERE user_id = ANY(%(u)s)", u=users))
    assert caps.get(bad, 0) == 0 and all(caps[u] == 1 for u in users if u != bad)


def test_the_sweep_delivers_pending_entry_users_itself_oldest_first_and_bounded(sql, monkeypatch):
    _with_settings(monkeypatch, campaign_batch_size=2)
    night = datetime(2030, 5, 1, 23, 30, tzinfo=domain.zone("Asia/Seoul"))
    cid = make_campaign(sql, None, trigger="SEGMENT_ENTRY")
    quiet = make_campaign(sql, None, trigger="SEGMENT_ENTRY", quiet_hours_start="22:00", quiet_hours_end="08:00",
                          timezone="Asia/Seoul")
    users = [f"orphan-{cid}-{i:02d}" for i in range(15)]
    for c in (cid, quiet):
        # Older than any other test's pending logs, one second apart, inserted newest first.
        sql("INSERT INTO campaign.campaign_logs (campaign_id, user_id, status, created_at) "
            "SELECT %(c)s, u, 'PENDING', timestamptz '2020-01-01 00:00:00+00' + (i || ' seconds')::interval "
            "FROM unnest(%(u)s::text[]) WITH ORDINALITY AS x(u, i) ORDER BY i DESC", c=c, u=users)
    assert delivery._deliver_orphans(night) >= 10
    done = [r[0] for r in sql("SELECT user_id FROM campaign.campaign_logs WHERE campaign_id = %(c)s AND status = 'DELIVERED' "
                              "ORDER BY user_id", c=cid)]
    assert done == users[:10]  # 5 chunks of 2, the oldest
    assert statuses(sql, quiet) == {"PENDING": 15}  # in its quiet hours: left for later
    delivery._deliver_orphans(night)
    assert statuses(sql, cid) == {"DELIVERED": 15}
    assert sql("SELECT min(delivered_at) FROM campaign.campaign_logs WHERE campaign_id = %(c)s", c=cid) == [(night,)]

    # After a resume, pending entry users go to the workers one message per chunk of 2.
    _flush()
    entry = make_campaign(sql, None, trigger="SEGMENT_ENTRY")
    sql("INSERT INTO campaign.campaign_logs (campaign_id, user_id, status, created_at) "
        "SELECT %(c)s, 'rq-' || g, 'PENDING', now() FROM generate_series(1, 5) g", c=entry)
    assert delivery.requeue(entry) == 3
    _flush()


def _batch_state(sql, cid):
    return sql("SELECT batch, enqueued_at FROM campaign.batches WHERE campaign_id = %(c)s AND status = 'PENDING' ORDER BY batch",
               c=cid)


def test_pending_batches_are_resent_only_when_the_campaign_made_no_progress(sql):
    _flush()
    segment, users = seed_segment(sql, 30)
    cid = make_campaign(sql, segment)
    now = datetime.now(UTC)
    delivery.launch(cid, batch_size=10, now=now - timedelta(minutes=20))
    sql("UPDATE campaign.batches SET enqueued_at = %(t)s WHERE campaign_id = %(c)s", c=cid, t=now - timedelta(minutes=10))
    delivery.deliver(cid, batch=0, now=now - timedelta(minutes=1))  # a batch done a minute ago: workers are at it
    before = _batch_state(sql, cid)
    assert [b for b, _ in before] == [1, 2]
    delivery._resend_stale(now)
    assert _batch_state(sql, cid) == before
    # No batch done for longer than STALE_BATCH: the remaining messages are taken as lost.
    sql("UPDATE campaign.batches SET done_at = %(t)s WHERE campaign_id = %(c)s AND status = 'DONE'", c=cid,
        t=now - timedelta(minutes=10))
    delivery._resend_stale(now)
    assert _batch_state(sql, cid) == [(1, now), (2, now)]
    _flush()


def test_logs_left_pending_on_a_finished_campaign_are_closed_by_the_sweep(sql):
    canceled = make_campaign(sql, None, trigger="EVENT", event="CART_ABANDONED", status="CANCELED")
    completed = make_campaign(sql, None, trigger="EVENT", event="CART_ABANDONED", status="COMPLETED")
    running = make_campaign(sql, None, trigger="EVENT", event="CART_ABANDONED")
    for c in (canceled, completed, running):
        sql("INSERT INTO campaign.campaign_logs (campaign_id, user_id, status, created_at) VALUES (%(c)s, 'late', 'PENDING', now())", c=c)
    assert delivery.close_leftover_logs(datetime.now(UTC)) >= 2
    assert [statuses(sql, c) for c in (canceled, completed, running)] == [{"CANCELED": 1}, {"CANCELED": 1}, {"PENDING": 1}]


def test_an_edit_between_the_read_and_the_lock_delivers_the_new_reward(sql, monkeypatch, ledger_matches_wallets):
    segment, users = seed_segment(sql, 5)
    cid = make_campaign(sql, segment)
    delivery.launch(cid)
    real, edited = delivery.quiet_until, []

    def quiet_then_edit(c, now):
        # Runs after deliver() read the campaign, before its transaction: a pause-edit-resume.
        if not edited:
            edited.append(True)
            sql("UPDATE campaign.campaigns SET reward_value = '{\"token_type\": \"DICE_TOKEN\", \"amount\": 5}', "
                "version = version + 1 WHERE id = %(c)s", c=cid)
        return real(c, now)

    monkeypatch.setattr(delivery, "quiet_until", quiet_then_edit)
    assert delivery.deliver(cid, batch=0).statuses == {"DELIVERED": 5}
    assert sql("SELECT DISTINCT delta FROM reward.ledger WHERE idempotency_key LIKE %(k)s", k=f"campaign:{cid}:%") == [(5,)]
    assert sql("SELECT DISTINCT body LIKE '%%5 DICE_TOKEN%%' FROM campaign.inbox_messages WHERE campaign_id = %(c)s", c=cid) == [(True,)]


def test_the_scheduler_rechecks_start_and_end_on_the_locked_campaign(sql):
    now = datetime.now(UTC)
    segment, _ = seed_segment(sql, 3)
    cid = make_campaign(sql, segment, status="SCHEDULED", start_at=now - timedelta(minutes=1))
    # An operator moved the start three days ahead after the scheduler read its due list.
    sql("UPDATE campaign.campaigns SET start_at = %(t)s WHERE id = %(c)s", c=cid, t=now + timedelta(days=3))
    assert delivery.start_due(cid, now) == 0
    assert sql("SELECT status FROM campaign.campaigns WHERE id = %(c)s", c=cid) == [("SCHEDULED",)]
    sql("UPDATE campaign.campaigns SET start_at = %(t)s WHERE id = %(c)s", c=cid, t=now - timedelta(minutes=1))
    assert delivery.start_due(cid, now) == 1

    # ... or the end a day later: still running.
    event = make_campaign(sql, None, trigger="EVENT", event="CART_ABANDONED", start_at=now - timedelta(hours=2),
                          end_at=now - timedelta(minutes=1))
    sql("UPDATE campaign.campaigns SET end_at = %(t)s WHERE id = %(c)s", c=event, t=now + timedelta(days=1))
    assert delivery.complete_finished(event, now) == 0
    assert sql("SELECT status FROM campaign.campaigns WHERE id = %(c)s", c=event) == [("RUNNING",)]
    # A launched snapshot with a user still pending is not finished either; once delivered it is.
    delivery.launch(cid, now=now)
    assert delivery.complete_finished(cid, now) == 0
    delivery.deliver(cid, batch=0, now=now)
    assert delivery.complete_finished(cid, now) == 1
    assert sql("SELECT status FROM campaign.campaigns WHERE id = %(c)s", c=cid) == [("COMPLETED",)]


def test_batches_racing_for_a_daily_token_budget_never_pass_it(sql, ledger_matches_wallets):
    import threading

    segment, users = seed_segment(sql, 60)
    cid = make_campaign(sql, segment)  # 2 DICE_TOKEN per user
    sql("INSERT INTO reward.budgets (owner_kind, owner_id, unit, token_type, daily_limit, created_at, created_by, updated_at, "
        "updated_by) VALUES ('CAMPAIGN', %(o)s, 'TOKENS', 'DICE_TOKEN', 45, now(), 't', now(), 't')", o=str(cid))
    delivery.launch(cid, batch_size=10)
    threads = [threading.Thread(target=delivery.deliver, args=(cid,), kwargs={"batch": b}) for (b,) in _sql_batches(cid)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 45 tokens cover 22 grants of 2: exactly 22 users are paid, the other 38 refused with nothing.
    assert statuses(sql, cid) == {"DELIVERED": 22, "FAILED": 38}
    assert sql("SELECT count(*), sum(delta) FROM reward.ledger WHERE idempotency_key LIKE %(k)s", k=f"campaign:{cid}:%") == [(22, 44)]
    assert sql("SELECT d.spent FROM reward.budget_days d JOIN reward.budgets b ON b.id = d.budget_id "
               "WHERE b.owner_kind = 'CAMPAIGN' AND b.owner_id = %(o)s", o=str(cid)) == [(44,)]


def test_a_user_whose_offer_choice_no_longer_fits_fails_alone_and_the_sweep_goes_on(sql):
    from services.reward import selection

    offers = {"offers": [
        {"arm": "dice", "label": "3 dice", "reward_type": "TOKEN", "reward_value": {"token_type": "DICE_TOKEN", "amount": 3}},
        {"arm": "coin", "label": "1 coin", "reward_type": "TOKEN", "reward_value": {"token_type": "CC_COIN", "amount": 1}},
    ]}
    segment, users = seed_segment(sql, 5)
    cid = make_campaign(sql, segment, reward_type="OFFER", reward_value=offers, trigger="SEGMENT_ENTRY")
    now = datetime.now(UTC)
    # Entry users targeted five minutes ago whose delivery message never came (the sweep's case).
    sql("INSERT INTO campaign.campaign_logs (campaign_id, user_id, status, created_at) "
        "SELECT %(c)s, u, 'PENDING', %(at)s FROM unnest(%(u)s::text[]) u", c=cid, u=users, at=now - timedelta(minutes=5))
    # A choice recorded among other offers under this user's request id (as before an edit of the offers).
    selection.select(users[0], {"campaign": str(cid)}, ["old_a", "old_b"], request_id=delivery.grant_key(cid, users[0]))
    delivery.run_due(now)  # the sweep delivers pending entry users itself, and must not stop at the bad one
    assert statuses(sql, cid) == {"DELIVERED": 4, "FAILED": 1}
    assert sql("SELECT reason FROM campaign.campaign_logs WHERE campaign_id = %(c)s AND user_id = %(u)s", c=cid, u=users[0]) == [
        ("REWARD_ERROR",)]
    assert sql("SELECT count(*) FROM reward.ledger WHERE idempotency_key = %(k)s", k=delivery.grant_key(cid, users[0])) == [(0,)]


def test_the_same_batch_delivered_by_many_workers_at_once_grants_each_user_once(sql, ledger_matches_wallets):
    """Redelivered messages can run side by side: 8 threads on the same batches of a token, a
    points and a coupon campaign give each user one reward, one message and one log."""
    import threading

    segment, users = seed_segment(sql, 200)
    template = sql("INSERT INTO coupon.coupons (code, type, value, token_type, created_at, created_by, updated_at, updated_by) "
                   "VALUES (%(c)s, 'FIXED', 5, 'CC_COIN', now(), 't', now(), 't') RETURNING id", c=f"T-{segment}")[0][0]
    campaigns = [make_campaign(sql, segment),
                 make_campaign(sql, segment, reward_type="POINTS", reward_value={"points": 15}),
                 make_campaign(sql, segment, reward_type="COUPON", reward_value={"coupon_id": str(template)})]
    for cid in campaigns:
        delivery.launch(cid, batch_size=50)
    threads = [threading.Thread(target=delivery.deliver, args=(cid,), kwargs={"batch": b})
               for cid in campaigns for (b,) in _sql_batches(cid) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for cid in campaigns:
        assert statuses(sql, cid) == {"DELIVERED": 200}
        assert sql("SELECT count(*), count(DISTINCT user_id) FROM campaign.inbox_messages WHERE campaign_id = %(c)s", c=cid) == [(200, 200)]
    tokens, points, coupon = campaigns
    assert sql("SELECT count(*), count(DISTINCT user_id) FROM reward.ledger WHERE idempotency_key LIKE %(k)s",
               k=f"campaign:{tokens}:%") == [(200, 200)]
    assert sql("SELECT count(*), count(DISTINCT user_id), sum(points) FROM loyalty.lots WHERE idempotency_key LIKE %(k)s",
               k=f"campaign:{points}:%") == [(200, 200, 3000)]
    assert sql("SELECT count(*), count(DISTINCT assigned_user_id) FROM coupon.coupons WHERE template_id = %(t)s", t=template) == [(200, 200)]
