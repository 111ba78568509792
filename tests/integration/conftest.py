"""Fixtures of the integration tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def ledger_matches_wallets(sql):
    """After the test: every wallet equals the sum of its ledger, and each entry's balance_after
    equals the running sum up to it."""
    yield
    mismatched = sql(
        """
        SELECT w.user_id, w.token_type, w.balance, coalesce(sum(l.delta), 0)
        FROM reward.wallets w LEFT JOIN reward.ledger l USING (user_id, token_type)
        GROUP BY w.user_id, w.token_type, w.balance HAVING w.balance <> coalesce(sum(l.delta), 0)
        """
    )
    assert mismatched == []
    assert sql("SELECT count(*) FROM reward.ledger l WHERE balance_after <> (SELECT sum(delta) FROM reward.ledger x "
               "WHERE x.user_id = l.user_id AND x.token_type = l.token_type AND x.id <= l.id)") == [(0,)]
