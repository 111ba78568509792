"""The proto-declared validation rules, checked on messages alone (no server, no database)."""

from __future__ import annotations

from engage.activity.v1 import activity_pb2 as a
from engage.activity.v1 import activity_service_pb2 as pb
from services.common.validation import violations


def fields(msg) -> dict[str, str]:
    return {v.field: v.description for v in violations(msg)}


def test_a_valid_request_has_no_violations():
    req = pb.RecordActivityRequest(event_type=a.VISIT, event_id="0b6f3c1e-9a0d-4c1b-8f5e-2d7a9c4e1b3f", currency="KRW")
    assert fields(req) == {}


def test_required_enum_format_and_length_rules_are_all_reported_at_once():
    req = pb.RecordActivityRequest(event_id="123", user_id="x" * 129, currency="krw", category="c" * 65)
    assert set(fields(req)) == {"event_type", "event_id", "user_id", "currency", "category"}


def test_an_unknown_enum_number_is_refused():
    assert fields(pb.RecordActivityRequest(event_type=4242)) == {"event_type": "is not a known value"}


def test_integer_bounds_apply_to_optional_fields_only_when_set():
    assert fields(pb.RecordActivityRequest(event_type=a.VISIT)) == {}
    assert fields(pb.RecordActivityRequest(event_type=a.VISIT, value=-1)) == {"value": "must be at least 0"}
    # amount may be 0 (an emptied cart); PURCHASE, PURCHASE_REFUND and CHARGE need 1 (services/activity/domain.py).
    assert fields(pb.RecordActivityRequest(event_type=a.VISIT, amount=-1)) == {"amount": "must be at least 0"}


def test_nested_and_repeated_messages_are_named_by_path():
    req = pb.RecordActivitiesRequest(events=[pb.RecordActivityRequest(event_type=a.VISIT), pb.RecordActivityRequest(event_id="x")])
    assert set(fields(req)) == {"events[1].event_type", "events[1].event_id"}
    assert fields(pb.RecordActivitiesRequest()) == {"events": "must have at least 1 items"}
    entries = [a.DepositEntry(user_id="", deposit_amount=-1)]
    assert set(fields(pb.UpsertExternalDepositsRequest(entries=entries))) == {"entries[0].user_id", "entries[0].deposit_amount"}


def test_an_oversized_list_is_refused_without_walking_it():
    req = pb.RecordActivitiesRequest(events=[pb.RecordActivityRequest()] * 1001)
    assert fields(req) == {"events": "must have at most 1000 items"}


def test_formats_match_the_whole_value():
    # `$` alone would accept a trailing newline and let a malformed id reach the service.
    assert set(fields(pb.RecordActivityRequest(event_type=a.VISIT, event_id="0b6f3c1e-9a0d-4c1b-8f5e-2d7a9c4e1b3f\n"))) == {"event_id"}
    assert set(fields(pb.RecordActivityRequest(event_type=a.VISIT, currency="KRW\n"))) == {"currency"}
