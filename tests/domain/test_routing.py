"""Routing rules: filters, mutes, quiet hours and the alarm override. The quiet-hours clock itself is in
test_schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.events import Kind, SecurityEvent, Severity
from bot.domain.routing import (
    MuteRule,
    Recipient,
    SubscriptionRule,
    is_muted,
    recipients,
    wants,
)

HOME = "home1"
CAM = "70:ee:50:00:00:01"
CAM2 = "70:ee:50:00:00:02"
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)  # 14:00 in Paris


def rule(chat_id: int = 1, **kw: object) -> SubscriptionRule:
    values: dict[str, object] = dict(
        chat_id=chat_id,
        home_id=HOME,
        event_kinds=None,
        camera_ids=None,
        people_mode="all",
        person_ids=frozenset(),
        quiet_start=None,
        quiet_end=None,
    )
    values.update(kw)
    return SubscriptionRule(**values)  # type: ignore[arg-type]


def event(kind: Kind = Kind.HUMAN, **kw: object) -> SecurityEvent:
    values: dict[str, object] = dict(
        home_id=HOME,
        event_id="e1",
        kind=kind,
        netatmo_type=str(kind),
        time=int(NOW.timestamp()),
        device_id=CAM,
        device_type="NOC",
    )
    values.update(kw)
    return SecurityEvent(**values)  # type: ignore[arg-type]


SMOKE = event(Kind.SMOKE, device_id="sd1", device_type="NSD", severity=Severity.ALARM)


def test_every_subscription_of_the_home_gets_it_loud() -> None:
    got = recipients(event(), [rule(1), rule(2)], [], "Europe/Paris", NOW)
    assert got == [Recipient(1, False), Recipient(2, False)]


def test_other_homes_and_duplicate_chats_are_ignored() -> None:
    subs = [rule(1), rule(1), rule(2, home_id="other")]
    assert recipients(event(), subs, [], "UTC", NOW) == [Recipient(1, False)]


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        recipients(event(), [rule()], [], "UTC", datetime(2024, 1, 1))


def test_kind_filter() -> None:
    sub = rule(event_kinds=frozenset({"vehicle"}))
    assert recipients(event(Kind.HUMAN), [sub], [], "UTC", NOW) == []
    assert recipients(event(Kind.VEHICLE), [sub], [], "UTC", NOW) == [Recipient(1, False)]


def test_camera_filter_applies_to_cameras_only() -> None:
    sub = rule(camera_ids=frozenset({CAM2}))
    assert not wants(sub, event(device_id=CAM))
    assert wants(sub, event(device_id=CAM2))
    # A smoke detector is not in the camera list: the selection must not hide it.
    co_battery = event(Kind.ALARM_BATTERY, device_id="co1", device_type="NCO", severity=Severity.INFO)
    assert wants(sub, co_battery)


def test_empty_camera_selection_blocks_all_cameras() -> None:
    assert not wants(rule(camera_ids=frozenset()), event())


def test_people_unknown_only() -> None:
    sub = rule(people_mode="unknown")
    assert wants(sub, event(Kind.PERSON, person_id="p1", person_known=False, device_type="NACamera"))
    assert not wants(sub, event(Kind.PERSON, person_id="p1", person_known=True, device_type="NACamera"))
    assert not wants(sub, event(Kind.PERSON_HOME, person_id="p1", person_known=True))
    # Non-person events are not touched by the people filter.
    assert wants(sub, event(Kind.MOVEMENT))


def test_people_chosen_arrivals() -> None:
    sub = rule(people_mode="chosen", person_ids=frozenset({"kid"}))
    assert wants(sub, event(Kind.PERSON_HOME, person_id="kid", person_known=True))
    assert wants(sub, event(Kind.PERSON, person_id="kid", person_known=True))
    assert not wants(sub, event(Kind.PERSON_HOME, person_id="dad", person_known=True))
    assert not wants(sub, event(Kind.PERSON_AWAY, person_id="dad"))
    assert wants(sub, event(Kind.PERSON, person_id="stranger", person_known=False))


def test_unknown_people_mode_does_not_hide_alerts() -> None:
    assert wants(rule(people_mode="future-mode"), event(Kind.PERSON_HOME, person_id="x"))


def test_camera_mute_skips_only_that_camera_in_that_chat() -> None:
    mutes = [MuteRule(1, CAM, NOW + timedelta(minutes=5))]
    subs = [rule(1), rule(2)]
    assert recipients(event(device_id=CAM), subs, mutes, "UTC", NOW) == [Recipient(2, False)]
    assert recipients(event(device_id=CAM2), subs, mutes, "UTC", NOW) == [
        Recipient(1, False),
        Recipient(2, False),
    ]


def test_home_mute_skips_everything_in_that_chat() -> None:
    mutes = [MuteRule(1, None, NOW + timedelta(hours=1))]
    assert recipients(event(device_id=CAM2), [rule(1)], mutes, "UTC", NOW) == []


def test_expired_mute_is_ignored() -> None:
    mutes = [MuteRule(1, None, NOW), MuteRule(1, CAM, NOW - timedelta(seconds=1))]
    assert recipients(event(), [rule(1)], mutes, "UTC", NOW) == [Recipient(1, False)]
    assert not is_muted(1, event(), mutes, NOW)
    assert is_muted(1, event(), mutes, NOW - timedelta(seconds=2))


def test_mute_of_bridged_module() -> None:
    door = event(Kind.DOOR_OPEN, device_id=CAM, module_id="tag1", device_type="NACamera")
    assert is_muted(1, door, [MuteRule(1, "tag1", NOW + timedelta(minutes=1))], NOW)


def test_alarm_beats_mutes_quiet_hours_and_filters() -> None:
    sub = rule(
        event_kinds=frozenset({"human"}),
        camera_ids=frozenset(),
        quiet_start=0,
        quiet_end=23 * 60 + 59,
    )
    mutes = [MuteRule(1, None, NOW + timedelta(hours=8)), MuteRule(1, "sd1", NOW + timedelta(hours=8))]
    assert recipients(SMOKE, [sub], mutes, "UTC", NOW) == [Recipient(1, False)]


def test_alarm_still_only_for_the_home() -> None:
    assert recipients(SMOKE, [rule(1, home_id="elsewhere")], [], "UTC", NOW) == []


def test_quiet_hours_make_it_silent_in_home_timezone() -> None:
    sub = rule(quiet_start=22 * 60, quiet_end=7 * 60)
    late = datetime(2024, 6, 1, 21, 30, tzinfo=UTC)  # 23:30 in Paris, 21:30 in UTC
    assert recipients(event(), [sub], [], "Europe/Paris", late) == [Recipient(1, True)]
    assert recipients(event(), [sub], [], "UTC", late) == [Recipient(1, False)]


def test_mute_vs_quiet_hours_order() -> None:
    # A muted chat is skipped even during its quiet hours; an unmuted one is silent.
    sub1 = rule(1, quiet_start=0, quiet_end=23 * 60)
    sub2 = rule(2, quiet_start=0, quiet_end=23 * 60)
    mutes = [MuteRule(1, CAM, NOW + timedelta(minutes=30))]
    assert recipients(event(), [sub1, sub2], mutes, "UTC", NOW) == [Recipient(2, True)]


def test_kind_groups_cover_every_kind_once() -> None:
    from bot.domain.routing import KIND_GROUPS

    listed = [kind for kinds in KIND_GROUPS.values() for kind in kinds]
    assert sorted(listed) == sorted(Kind)


def test_toggle_group_round_trip() -> None:
    from bot.domain.routing import group_enabled, toggle_group

    off = toggle_group(None, "motion")
    assert off is not None and "human" not in off and "smoke" in off
    assert not group_enabled(off, "motion") and group_enabled(off, "alarms")
    assert not wants(rule(event_kinds=off), event(Kind.HUMAN))
    assert toggle_group(off, "motion") is None
    # a partly enabled group switches fully on
    assert group_enabled(toggle_group(frozenset({"human"}), "motion"), "motion")


def test_toggle_member() -> None:
    from bot.domain.routing import toggle_member

    universe = frozenset({"a", "b"})
    assert toggle_member(None, "a", universe) == frozenset({"b"})
    assert toggle_member(frozenset({"b"}), "a", universe) is None
    assert toggle_member(frozenset({"b"}), "b", universe) == frozenset()


# -- person filters: unknown faces whatever brought them ----------------------------------------------------


@pytest.mark.parametrize(
    ("known", "unknown_mode", "chosen_mode"),
    [
        (False, True, True),  # an unknown face (webhook is_known false, or not in the home's known list)
        (None, True, True),  # nothing could tell: counts as unknown rather than be dropped
        (True, False, False),  # a known face not chosen
    ],
)
def test_person_filters_by_knowledge_of_the_face(
    known: bool | None, unknown_mode: bool, chosen_mode: bool
) -> None:
    face = event(Kind.PERSON, person_id="p-other", person_known=known)
    assert wants(rule(people_mode="unknown"), face) is unknown_mode
    assert wants(rule(people_mode="chosen", person_ids=frozenset({"p-anna"})), face) is chosen_mode
    anna = event(Kind.PERSON, person_id="p-anna", person_known=True)
    assert wants(rule(people_mode="chosen", person_ids=frozenset({"p-anna"})), anna)


def test_a_ring_is_loud_in_quiet_hours_but_a_chat_may_still_filter_it() -> None:
    ring = event(Kind.DOORBELL_RING, device_type="NDB")
    night = rule(1, quiet_start=0, quiet_end=24 * 60 - 1)
    assert recipients(ring, [night], [], "UTC", NOW) == [Recipient(1, False)]
    no_doorbell = rule(2, event_kinds=frozenset({"human"}))
    assert recipients(ring, [no_doorbell], [], "UTC", NOW) == []
    assert recipients(event(), [night], [], "UTC", NOW) == [Recipient(1, True)]  # motion stays quiet
