"""Fuzzing the webhook parser: any body gives events, a control message or a ParseError, nothing else."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.events import event_from_dict, event_to_dict
from bot.netatmo.events import ParseError, events_from_getevents, parse_webhook, parse_webhook_body

NOW = 1_700_000_000

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)
FIELDS = [
    "push_type",
    "event_type",
    "event_id",
    "home_id",
    "device_id",
    "camera_id",
    "module_id",
    "sub_type",
    "snapshot_url",
    "snapshot_id",
    "snapshot_key",
    "persons",
    "event_list",
    "subevents",
    "message",
    "time",
    "user_id",
    "user",
    "home",
    "id",
    "type",
    "snapshot",
    "person_id",
    "category",
    "subevent_id",
]
PUSH_TYPES = st.sampled_from(
    [
        "NACamera-person",
        "NOC-outdoor",
        "NSD-smoke",
        "connection",
        "webhook_deactivation",
        "device_event",
        "x-",
    ]
)
shaped = st.fixed_dictionaries(
    {"push_type": PUSH_TYPES | st.text(max_size=20)},
    optional={name: json_values for name in FIELDS if name != "push_type"},
)


def _check(events: Any) -> None:
    for event in events:
        data = event_to_dict(event)
        json.dumps(data)  # storable as JSON
        assert event_from_dict(json.loads(json.dumps(data))) == event
        assert len(event.event_id) <= 64 and len(event.subevent_id) <= 64 and len(event.netatmo_type) <= 64


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_any_json_body(value: Any) -> None:
    body = json.dumps(value).encode()
    try:
        parsed = parse_webhook_body(body, now=NOW)
    except ParseError:
        assert not isinstance(value, dict)
        return
    _check(parsed.events)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shaped)
def test_security_shaped_payloads(payload: dict[str, Any]) -> None:
    parsed = parse_webhook(payload, now=NOW)
    assert (parsed.control is None) or parsed.events == ()
    _check(parsed.events)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes(body: bytes) -> None:
    with contextlib.suppress(ParseError):
        parse_webhook_body(body, now=NOW)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.fixed_dictionaries({}, optional={name: json_values for name in FIELDS}), max_size=5))
def test_any_getevents_list(events: list[dict[str, Any]]) -> None:
    _check(events_from_getevents("home", events, now=NOW))
