"""Wallets and the ledger through the public API: grants, revokes, idempotency, listings, and the
ledger's append-only guarantee."""

from __future__ import annotations

import uuid

import grpc
import psycopg
import pytest

from engage.reward.v1 import reward_pb2, reward_service_pb2 as pb
from tests.integration.grpc_failure import failure

pytestmark = pytest.mark.usefixtures("ledger_matches_wallets")

CC = reward_pb2.CC_COIN
DICE = reward_pb2.DICE_TOKEN


def _grant(reward, admin, user, amount, token_type=CC, request_id="", reason="welcome"):
    return reward.GrantTokens(
        pb.GrantTokensRequest(user_id=user, token_type=token_type, amount=amount, reason=reason, request_id=request_id),
        metadata=admin,
    ).entry


def _balances(reward, metadata):
    return {reward_pb2.TokenType.Name(w.token_type): w.balance for w in reward.GetWallet(pb.GetWalletRequest(), metadata=metadata).wallets}


def test_grant_then_revoke_moves_the_balance_and_writes_one_entry_each(reward, admin, as_user, user_id, sql):
    first = _grant(reward, admin, user_id, 100)
    assert (first.delta, first.balance_after, first.reason, first.label) == (100, 100, "ADMIN_GRANT", "welcome")
    assert first.meta_json["by"] == "ops-1"
    revoked = reward.RevokeTokens(
        pb.RevokeTokensRequest(user_id=user_id, token_type=CC, amount=30, reason="abuse"), metadata=admin
    ).entry
    assert (revoked.delta, revoked.balance_after, revoked.reason) == (-30, 70, "ADMIN_REVOKE")
    assert _balances(reward, as_user(user_id)) == {"ROULETTE_COIN": 0, "DICE_TOKEN": 0, "LOTTERY_TICKET": 0, "CC_COIN": 70}
    assert sql("SELECT count(*) FROM reward.ledger WHERE user_id = %(u)s", u=user_id) == [(2,)]


def test_a_revoke_beyond_the_balance_is_refused_and_changes_nothing(reward, admin, user_id, sql):
    _grant(reward, admin, user_id, 10)
    code, reason, _ = failure(
        lambda: reward.RevokeTokens(pb.RevokeTokensRequest(user_id=user_id, token_type=CC, amount=11, reason="x"), metadata=admin)
    )
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "INSUFFICIENT_BALANCE")
    assert sql("SELECT balance FROM reward.wallets WHERE user_id = %(u)s", u=user_id) == [(10,)]
    assert sql("SELECT count(*) FROM reward.ledger WHERE user_id = %(u)s", u=user_id) == [(1,)]
    # A wallet never credited cannot be debited either.
    code, reason, _ = failure(
        lambda: reward.RevokeTokens(pb.RevokeTokensRequest(user_id=user_id, token_type=DICE, amount=1, reason="x"), metadata=admin)
    )
    assert reason == "INSUFFICIENT_BALANCE"


def test_a_retried_grant_is_applied_once_and_a_reused_request_id_is_refused(reward, admin, user_id, sql):
    a = _grant(reward, admin, user_id, 50, request_id="req-1")
    b = _grant(reward, admin, user_id, 50, request_id="req-1")
    assert a.entry_id == b.entry_id
    assert sql("SELECT balance FROM reward.wallets WHERE user_id = %(u)s", u=user_id) == [(50,)]
    code, reason, _ = failure(lambda: _grant(reward, admin, user_id, 51, request_id="req-1"))
    assert (code, reason) == (grpc.StatusCode.ALREADY_EXISTS, "IDEMPOTENCY_KEY_REUSED")
    # The same request id for another user is that user's own grant.
    other = f"u-{uuid.uuid4().hex[:8]}"
    assert _grant(reward, admin, other, 50, request_id="req-1").balance_after == 50


def test_bad_input_names_each_field(reward, admin):
    code, reason, fields = failure(
        lambda: reward.GrantTokens(pb.GrantTokensRequest(user_id="", amount=0, reason=""), metadata=admin)
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert {"user_id", "token_type", "amount", "reason"} <= set(fields)


def test_users_read_only_their_own_wallet_and_cannot_grant(reward, as_user, user_id):
    code, reason, _ = failure(lambda: reward.GetWallet(pb.GetWalletRequest(user_id="someone-else"), metadata=as_user(user_id)))
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_YOUR_DATA")
    code, _, _ = failure(
        lambda: reward.GrantTokens(
            pb.GrantTokensRequest(user_id=user_id, token_type=CC, amount=5, reason="self"), metadata=as_user(user_id)
        )
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED


def test_ledger_pages_newest_first_and_filters(reward, admin, as_user, user_id):
    for n in range(1, 6):
        _grant(reward, admin, user_id, n, token_type=CC if n % 2 else DICE)
    me = as_user(user_id)
    page1 = reward.ListWalletEntries(pb.ListWalletEntriesRequest(page_size=2), metadata=me)
    page2 = reward.ListWalletEntries(pb.ListWalletEntriesRequest(page_size=2, page_token=page1.next_page_token), metadata=me)
    page3 = reward.ListWalletEntries(pb.ListWalletEntriesRequest(page_size=2, page_token=page2.next_page_token), metadata=me)
    assert [e.delta for e in [*page1.entries, *page2.entries, *page3.entries]] == [5, 4, 3, 2, 1]
    assert page3.next_page_token == ""
    only_cc = reward.ListWalletEntries(pb.ListWalletEntriesRequest(token_type=CC), metadata=me)
    assert [e.delta for e in only_cc.entries] == [5, 3, 1]
    # A token from one filter is refused on another.
    code, reason, _ = failure(
        lambda: reward.ListWalletEntries(pb.ListWalletEntriesRequest(token_type=DICE, page_token=page1.next_page_token), metadata=me)
    )
    assert reason == "INVALID_PAGE_TOKEN"
    admin_view = reward.ListLedgerEntries(pb.ListLedgerEntriesRequest(user_id=user_id, reason="ADMIN_GRANT"), metadata=admin)
    assert len(admin_view.entries) == 5
    wallets = reward.ListWallets(pb.ListWalletsRequest(user_id=user_id), metadata=admin).wallets
    assert [(reward_pb2.TokenType.Name(w.token_type), w.balance) for w in wallets] == [("CC_COIN", 9), ("DICE_TOKEN", 6)]


def test_the_ledger_refuses_updates_and_deletes(reward, admin, user_id, settings):
    from services.common.config import libpq_url

    _grant(reward, admin, user_id, 5)
    with psycopg.connect(libpq_url(settings.database_url), autocommit=True) as conn:
        for statement in ("UPDATE reward.ledger SET delta = 500 WHERE user_id = %s", "DELETE FROM reward.ledger WHERE user_id = %s"):
            with pytest.raises(psycopg.errors.RestrictViolation):
                conn.execute(statement, (user_id,))


def test_a_user_sees_their_entries_without_the_operator_or_the_internal_key(reward, admin, as_user, user_id):
    _grant(reward, admin, user_id, 5, reason="apology")
    mine = reward.ListWalletEntries(pb.ListWalletEntriesRequest(), metadata=as_user(user_id)).entries[0]
    assert (mine.label, mine.idempotency_key, "by" in mine.meta_json.fields) == ("apology", "", False)
    theirs = reward.ListWalletEntries(pb.ListWalletEntriesRequest(user_id=user_id), metadata=admin).entries[0]
    assert theirs.idempotency_key and theirs.meta_json["by"] == "ops-1"


def test_an_idempotency_key_header_makes_a_grant_without_request_id_exactly_once(reward, as_user, user_id, sql):
    md = (*as_user("ops-1", "admin"), ("idempotency-key", "click-1"))
    request = pb.GrantTokensRequest(user_id=user_id, token_type=CC, amount=9, reason="double click")
    assert reward.GrantTokens(request, metadata=md).entry.entry_id == reward.GrantTokens(request, metadata=md).entry.entry_id
    assert sql("SELECT balance FROM reward.wallets WHERE user_id = %(u)s", u=user_id) == [(9,)]
