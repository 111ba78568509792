"""What the servicers of the value ledgers (Reward's wallets, Loyalty's points) share: the request
id of a grant, and a ledger entry as its owner may see it."""

from __future__ import annotations

MAX_REQUEST_ID = 128


def request_id(request, context) -> str:
    """A grant's request id: the body's `request_id`, else an `Idempotency-Key` header (what an
    admin console sends with the body the API has always taken)."""
    if request.request_id:
        return request.request_id
    return dict(context.invocation_metadata()).get("idempotency-key", "")[:MAX_REQUEST_ID]


def for_owner(entry):
    """A ledger entry message as its owner sees it: without the internal idempotency key and the
    operator who made it (`meta_json.by`). Changes and returns `entry`."""
    entry.ClearField("idempotency_key")
    if "by" in entry.meta_json.fields:
        del entry.meta_json["by"]
    return entry
