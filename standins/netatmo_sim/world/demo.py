"""The demo world: fixed ids the tests, the demo and other engineers can rely on.

Account DEMO_ACCOUNT owns HOME_ONE (security + heating + weather) and HOME_TWO (Legrand).
Account SECOND_ACCOUNT owns SECOND_HOME (one camera, one thermostat) so tests can link two
different Netatmo accounts. Ids never depend on the seed; only readings do.
"""

from __future__ import annotations

import random

from standins.netatmo_sim.world.builder import HomeBuilder
from standins.netatmo_sim.world.model import Account, Home, Scenario

DEMO_ACCOUNT = "5e1f00000000000000000001"
SECOND_ACCOUNT = "5e1f00000000000000000002"
DEMO_EMAIL = "demo@example.invalid"
SECOND_EMAIL = "second@example.invalid"

HOME_ONE_ID = "5e2a00000000000000000001"
HOME_TWO_ID = "5e2a00000000000000000002"
SECOND_HOME_ID = "5e2a00000000000000000003"

LIVING_ROOM_ID = "2746180001"
BEDROOM_ID = "2746180002"
KITCHEN_ID = "2746180003"
HALL_ID = "2746180004"
FLAT_LIVING_ID = "3746180001"
FLAT_BEDROOM_ID = "3746180002"
FLAT_KITCHEN_ID = "3746180003"
COTTAGE_ROOM_ID = "4746180001"

INDOOR_CAMERA_ID = "70:ee:50:01:00:01"
DOOR_TAG_ID = "70:ee:50:01:00:02"
SIREN_ID = "70:ee:50:01:00:03"
OUTDOOR_CAMERA_ID = "70:ee:50:02:00:01"
ADVANCE_CAMERA_ID = "70:ee:50:03:00:01"
DOORBELL_ID = "70:ee:50:04:00:01"
SMOKE_ALARM_ID = "70:ee:50:05:00:01"
CO_ALARM_ID = "70:ee:50:06:00:01"
RELAY_ID = "70:ee:50:07:00:01"
THERMOSTAT_ID = "04:00:00:07:00:02"
VALVE_BEDROOM_ID = "09:00:00:07:00:03"
VALVE_KITCHEN_ID = "09:00:00:07:00:04"
STATION_ID = "70:ee:50:08:00:01"
STATION_OUTDOOR_ID = "02:00:00:08:00:02"

GATEWAY_ID = "00:04:74:00:00:01"
LIGHT_ID = "00:04:74:00:00:02"
DIMMER_ID = "00:04:74:00:00:03"
PLUG_ID = "00:04:74:00:00:04"
SHUTTER_LIVING_ID = "00:04:74:00:00:05"
SHUTTER_BEDROOM_ID = "00:04:74:00:00:06"

SECOND_CAMERA_ID = "70:ee:50:11:00:01"
SECOND_RELAY_ID = "70:ee:50:17:00:01"
SECOND_THERMOSTAT_ID = "04:00:00:17:00:02"

SCHEDULE_STANDARD_ID = "5e3b00000000000000000001"
SCHEDULE_HOLIDAYS_ID = "5e3b00000000000000000002"
SECOND_SCHEDULE_ID = "5e3b00000000000000000003"

PERSON_JOHN_ID = "91827374-7e04-4298-83ad-a0cb8372d001"
PERSON_JANE_ID = "91827374-7e04-4298-83ad-a0cb8372d002"
PERSON_UNKNOWN_ID = "91827374-7e04-4298-83ad-a0cb8372d003"

CAMERA_IDS = (INDOOR_CAMERA_ID, OUTDOOR_CAMERA_ID, ADVANCE_CAMERA_ID, DOORBELL_ID)


def build_home_one(rng: random.Random, now: int) -> Home:
    """Security, heating and weather: the home most tests use."""
    home = Home(HOME_ONE_ID, "Demo House", DEMO_ACCOUNT)
    b = HomeBuilder(home, rng)
    b.room(LIVING_ROOM_ID, "Living room", "livingroom", 19.5 + rng.random())
    b.room(BEDROOM_ID, "Bedroom", "bedroom", 17.5 + rng.random())
    b.room(KITCHEN_ID, "Kitchen", "kitchen", 18.5 + rng.random())
    b.room(HALL_ID, "Hall", "lobby", 18.0)
    b.device(RELAY_ID, "NAPlug", "Relay")
    b.device(THERMOSTAT_ID, "NATherm1", "Living room thermostat", LIVING_ROOM_ID, RELAY_ID)
    b.device(VALVE_BEDROOM_ID, "NRV", "Bedroom valve", BEDROOM_ID, RELAY_ID)
    b.device(VALVE_KITCHEN_ID, "NRV", "Kitchen valve", KITCHEN_ID, RELAY_ID)
    b.device(INDOOR_CAMERA_ID, "NACamera", "Hall camera", HALL_ID)
    b.device(DOOR_TAG_ID, "NACamDoorTag", "Front door", None, INDOOR_CAMERA_ID, category="door")
    b.device(SIREN_ID, "NIS", "Hall siren", None, INDOOR_CAMERA_ID)
    b.device(OUTDOOR_CAMERA_ID, "NOC", "Garden camera")
    b.device(ADVANCE_CAMERA_ID, "NPC", "Living room camera", LIVING_ROOM_ID)
    b.device(DOORBELL_ID, "NDB", "Doorbell", HALL_ID)
    b.device(SMOKE_ALARM_ID, "NSD", "Kitchen smoke alarm", KITCHEN_ID)
    b.device(CO_ALARM_ID, "NCO", "Hall CO alarm", HALL_ID)
    b.device(STATION_ID, "NAMain", "Weather station", HALL_ID)
    b.device(STATION_OUTDOOR_ID, "NAModule1", "Outdoor", None, STATION_ID)
    comfort = {LIVING_ROOM_ID: 20.0, BEDROOM_ID: 18.0, KITCHEN_ID: 19.0}
    b.schedule(SCHEDULE_STANDARD_ID, "Standard", comfort, selected=True)
    b.schedule(SCHEDULE_HOLIDAYS_ID, "Winter holidays", {r: t - 3 for r, t in comfort.items()}, False)
    b.person(PERSON_JOHN_ID, "John", now)
    b.person(PERSON_JANE_ID, "Jane", now, away=True)
    b.person(PERSON_UNKNOWN_ID, None, now, away=True)
    return home


def build_home_two(rng: random.Random, now: int) -> Home:
    """A Legrand Home+Control flat: lights, a plug, shutters and scenarios."""
    home = Home(HOME_TWO_ID, "Demo Flat", DEMO_ACCOUNT, timezone="Europe/Rome", country="IT")
    b = HomeBuilder(home, rng)
    b.room(FLAT_LIVING_ID, "Living room", "livingroom")
    b.room(FLAT_BEDROOM_ID, "Bedroom", "bedroom")
    b.room(FLAT_KITCHEN_ID, "Kitchen", "kitchen")
    b.device(GATEWAY_ID, "NLG", "Gateway", FLAT_LIVING_ID)
    b.device(LIGHT_ID, "NLL", "Kitchen light", FLAT_KITCHEN_ID, GATEWAY_ID)
    b.device(DIMMER_ID, "NLFN", "Living room lamp", FLAT_LIVING_ID, GATEWAY_ID)
    b.device(PLUG_ID, "NLP", "Coffee machine", FLAT_KITCHEN_ID, GATEWAY_ID)
    b.device(SHUTTER_LIVING_ID, "NLV", "Living room shutter", FLAT_LIVING_ID, GATEWAY_ID)
    b.device(SHUTTER_BEDROOM_ID, "NLV", "Bedroom shutter", FLAT_BEDROOM_ID, GATEWAY_ID)
    lights_off = {LIGHT_ID: {"on": False}, DIMMER_ID: {"on": False}, PLUG_ID: {"on": False}}
    shutters = (SHUTTER_LIVING_ID, SHUTTER_BEDROOM_ID)
    home.scenarios = [
        Scenario(
            "home", "5e4c00000000000000000001", "Home", {LIGHT_ID: {"on": True}, DIMMER_ID: {"on": True}}
        ),
        Scenario("away", "5e4c00000000000000000002", "Away", dict(lights_off)),
        Scenario(
            "wake_up", "5e4c00000000000000000003", "Wake up", {s: {"target_position": 100} for s in shutters}
        ),
        Scenario(
            "bedtime",
            "5e4c00000000000000000004",
            "Bedtime",
            {**lights_off, **{s: {"target_position": 0} for s in shutters}},
        ),
    ]
    return home


def build_second_home(rng: random.Random, now: int) -> Home:
    """The second account's cottage: one indoor camera and one thermostat."""
    home = Home(SECOND_HOME_ID, "Cottage", SECOND_ACCOUNT, timezone="Europe/London", country="GB")
    b = HomeBuilder(home, rng)
    b.room(COTTAGE_ROOM_ID, "Cottage room", "livingroom", 17.0 + rng.random())
    b.device(SECOND_RELAY_ID, "NAPlug", "Cottage relay")
    b.device(SECOND_THERMOSTAT_ID, "NATherm1", "Cottage thermostat", COTTAGE_ROOM_ID, SECOND_RELAY_ID)
    b.device(SECOND_CAMERA_ID, "NACamera", "Cottage camera", COTTAGE_ROOM_ID)
    b.schedule(SECOND_SCHEDULE_ID, "Cottage week", {COTTAGE_ROOM_ID: 19.0}, selected=True)
    b.person("91827374-7e04-4298-83ad-a0cb8372d101", "Guest", now)
    return home


def demo_accounts() -> list[Account]:
    """The two fixed demo accounts."""
    return [
        Account(DEMO_ACCOUNT, DEMO_EMAIL, "Demo family", [HOME_ONE_ID, HOME_TWO_ID]),
        Account(SECOND_ACCOUNT, SECOND_EMAIL, "Second family", [SECOND_HOME_ID]),
    ]
