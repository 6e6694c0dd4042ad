"""Captions: one per kind, with emoji, what, where and local time; grouped summaries; HTML escaping."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.captions import EMOJI, MAX_CAPTION, caption, headline, local_time
from bot.domain.events import Kind, SecurityEvent, Severity

T = int(datetime(2024, 6, 1, 19, 40, tzinfo=UTC).timestamp())  # 21:40 in Paris (CEST)


def ident(text: str) -> str:
    return text


def ev(kind: Kind, t: int = T, **kw: object) -> SecurityEvent:
    values: dict[str, object] = dict(
        home_id="h", event_id=f"e{t}{kind}", kind=kind, netatmo_type=str(kind), time=t, device_id="d"
    )
    values.update(kw)
    return SecurityEvent(**values)  # type: ignore[arg-type]


def cap(event: SecurityEvent, device: str | None = "Garden camera", **kw: object) -> str:
    return caption(
        [event],
        ident,
        home_name=str(kw.get("home", "Villa")),
        device_name=device,
        person_names=kw.get("names", {}),  # type: ignore[arg-type]
        timezone=str(kw.get("tz", "Europe/Paris")),
    )


EXPECTED: dict[Kind, str] = {
    Kind.MOVEMENT: "Movement seen by Garden camera",
    Kind.HUMAN: "Person detected by Garden camera",
    Kind.ANIMAL: "Animal detected by Garden camera",
    Kind.VEHICLE: "Vehicle detected by Garden camera",
    Kind.DOORBELL_RING: "Someone is ringing at Garden camera",
    Kind.DOORBELL_MISSED: "Missed call at Garden camera",
    Kind.DOORBELL_ACCEPTED: "Call answered at Garden camera",
    Kind.DOOR_OPEN: "Garden camera opened",
    Kind.DOOR_MOVED: "Garden camera moved",
    Kind.SIREN_SOUNDING: "Siren sounding: Garden camera",
    Kind.SIREN_TAMPERED: "Siren tampered with: Garden camera",
    Kind.SMOKE: "SMOKE detected by Garden camera",
    Kind.SMOKE_CLEARED: "Smoke cleared: Garden camera",
    Kind.CO: "CARBON MONOXIDE detected by Garden camera",
    Kind.CO_CLEARED: "Carbon monoxide cleared: Garden camera",
    Kind.ALARM_TAMPERED: "Alarm tampered with or removed: Garden camera",
    Kind.ALARM_TEST: "Alarm test: Garden camera",
    Kind.ALARM_BATTERY: "Alarm battery low: Garden camera",
    Kind.CAMERA_OFFLINE: "Garden camera lost its connection",
    Kind.CAMERA_ONLINE: "Garden camera is back online",
    Kind.MONITORING_ON: "Monitoring turned on: Garden camera",
    Kind.MONITORING_OFF: "Monitoring turned off: Garden camera",
    Kind.SD_PROBLEM: "SD card problem: Garden camera",
    Kind.POWER_PROBLEM: "Power supply problem: Garden camera",
    Kind.LOW_BATTERY: "Battery low: Garden camera",
}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_caption_per_kind(kind: Kind) -> None:
    text = cap(ev(kind))
    assert text == f"{EMOJI[kind]} <b>{EXPECTED[kind]}</b>\nVilla · 21:40"


def test_every_kind_has_an_emoji_and_a_caption() -> None:
    for kind in Kind:
        assert kind in EMOJI
        assert cap(ev(kind)).startswith(EMOJI[kind])


def test_known_person_by_name_from_topology() -> None:
    event = ev(Kind.PERSON, person_id="p1", person_known=True, person_name="Old name")
    assert "Anna seen by Hall" in cap(event, "Hall", names={"p1": "Anna"})
    assert "Old name seen by Hall" in cap(event, "Hall")


def test_unknown_face() -> None:
    assert "Unknown face seen by Hall" in cap(ev(Kind.PERSON, person_known=False), "Hall")
    assert "Someone seen by Hall" in cap(ev(Kind.PERSON), "Hall")


def test_person_home_and_away() -> None:
    assert "👤" not in cap(ev(Kind.PERSON_HOME, person_id="p1"), names={"p1": "Léo"})
    assert "🏠 <b>Léo arrived home</b>" in cap(ev(Kind.PERSON_HOME, person_id="p1"), names={"p1": "Léo"})
    assert "👋 <b>Someone left home</b>" in cap(ev(Kind.PERSON_AWAY))


def test_unknown_type_is_generic_but_correct() -> None:
    assert "ℹ️ <b>Garden camera reported “new_thing”</b>" in cap(ev(Kind.OTHER, netatmo_type="new_thing"))
    with_message = ev(Kind.OTHER, netatmo_type="x", message="Firmware updated")
    assert "Garden camera: Firmware updated" in cap(with_message)


def test_missing_device_name() -> None:
    assert "Movement seen by a device" in cap(ev(Kind.MOVEMENT), None)


def test_html_is_escaped() -> None:
    text = cap(
        ev(Kind.PERSON, person_id="p", person_known=True), "<Cam & Co>", home="A<b>", names={"p": "<i>x"}
    )
    assert "&lt;i&gt;x seen by &lt;Cam &amp; Co&gt;" in text
    assert "A&lt;b&gt; · 21:40" in text
    assert "<i>" not in text


def test_local_time_uses_home_timezone() -> None:
    assert local_time(T, "Europe/Paris") == "21:40"
    assert local_time(T, "America/New_York") == "15:40"
    assert local_time(T, "Not/AZone") == "19:40"
    assert cap(ev(Kind.HUMAN), tz="Asia/Tokyo").endswith("04:40")


def test_group_summary() -> None:
    events = [
        ev(Kind.HUMAN, T),
        ev(Kind.VEHICLE, T + 60),
        ev(Kind.HUMAN, T + 120),
    ]
    text = caption(
        events,
        ident,
        home_name="Villa",
        device_name="Garden camera",
        person_names={},
        timezone="Europe/Paris",
    )
    assert text == "🚶 <b>3 events on Garden camera</b>: 2 humans, 1 vehicle — 21:40–21:42\nVilla"


def test_group_same_minute_and_alarm_emoji_wins() -> None:
    events = [ev(Kind.MOVEMENT, T), ev(Kind.SMOKE, T + 5, severity=Severity.ALARM)]
    text = caption(events, ident, home_name="", device_name="Hall", person_names={}, timezone="UTC")
    assert text == "🔥 <b>2 events on Hall</b>: 1 movement, 1 event — 19:40"


def test_empty_is_an_error() -> None:
    with pytest.raises(ValueError):
        caption([], ident, home_name="", device_name=None, person_names={}, timezone=None)


def test_caption_never_exceeds_telegram_limit() -> None:
    long_message = "&" * 3000
    text = cap(ev(Kind.OTHER, message=long_message), "Cam", home="H" * 2000)
    assert len(text) <= MAX_CAPTION
    assert text.endswith("…")
    assert "<b>" not in text or "</b>" in text


def test_headline_translates_through_given_function() -> None:
    def french(text: str) -> str:
        return {"Person detected by {device}": "Personne détectée par {device}"}.get(text, text)

    assert headline(ev(Kind.HUMAN), french, "cam", None) == "Personne détectée par cam"


def test_devices_of_a_home_merged_into_one_outage_alert() -> None:
    names = "Garden camera, Hall camera, Kitchen smoke alarm"
    offline = ev(Kind.CAMERA_OFFLINE, device_id=None, message=names)
    back = ev(Kind.CAMERA_ONLINE, device_id=None, message=names)
    assert f"These devices lost their connection: {names}" in cap(offline, device=None)
    assert f"These devices are back online: {names}" in cap(back, device=None)
    # a single device keeps its own sentence
    assert "Garden camera lost its connection" in cap(ev(Kind.CAMERA_OFFLINE))
