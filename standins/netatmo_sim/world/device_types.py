"""The device type table: one entry per Netatmo module type the simulator knows.

Adding a device type means adding one `DeviceSpec` here: its scopes, its extra topology
fields (homesdata), its status fields with defaults (homestatus), which of those a client may
change through setstate, and the events it can emit. Field names and value types follow the
captured responses of real devices; tests/standins/netatmo_sim/test_fidelity.py compares them.

How status values are resolved (state, dynamic resolvers, defaults) lives in device_fields.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DeviceSpec:
    """Static description of a module type."""

    type: str
    product: str
    category: str
    read_scope: str
    write_scope: str | None = None
    access_scope: str | None = None
    is_bridge: bool = False
    topology: dict[str, Any] = field(default_factory=dict)
    status: dict[str, Any] = field(default_factory=dict)
    settable: frozenset[str] = frozenset()
    events: tuple[str, ...] = ()
    webrtc: bool = False
    hls: bool = False

    @property
    def is_camera(self) -> bool:
        """Whether it has a vpn_url, snapshots and live view."""
        return self.webrtc or self.hls


DYN = object()
"""Marks a status field whose value a resolver in DYNAMIC computes."""

_CAMERA_STATUS: dict[str, Any] = {
    "monitoring": "on",
    "sd_status": 4,
    "alim_status": 2,
    "locked": False,
    "vpn_url": DYN,
    "is_local": False,
}
_RADIO: dict[str, Any] = {"battery_state": "full", "battery_level": 5500, "firmware_revision": 58}
_LEGRAND_RADIO: dict[str, Any] = {"firmware_revision": 60, "last_seen": DYN, "reachable": DYN}
_CAMERA_EVENTS = ("person", "movement", "human", "animal", "on", "off", "connection", "disconnection")


def _spec(*args: Any, **kwargs: Any) -> DeviceSpec:
    return DeviceSpec(*args, **kwargs)


DEVICE_TYPES: dict[str, DeviceSpec] = {
    spec.type: spec
    for spec in [
        _spec(
            "NACamera",
            "Smart Indoor Camera",
            "camera",
            "read_camera",
            "write_camera",
            "access_camera",
            is_bridge=True,
            status={**_CAMERA_STATUS, "is_local": True},
            settable=frozenset({"monitoring"}),
            events=(*_CAMERA_EVENTS, "alarm_started", "person_away", "person_home"),
            hls=True,
        ),
        _spec(
            "NPC",
            "Indoor Camera Advance",
            "camera",
            "read_camerapro",
            "write_camerapro",
            "access_camerapro",
            is_bridge=True,
            status=dict(_CAMERA_STATUS),
            settable=frozenset({"monitoring"}),
            events=_CAMERA_EVENTS,
            webrtc=True,
        ),
        _spec(
            "NOC",
            "Smart Outdoor Camera",
            "camera",
            "read_presence",
            "write_presence",
            "access_presence",
            topology={"reachable": DYN, "customer_id": "A00010", "network_lock": False, "use_pincode": False},
            status={
                "firmware_revision": 3002000,
                "monitoring": "on",
                "sd_status": 4,
                "connection": "wifi",
                "homekit_status": "upgradable",
                "floodlight": "auto",
                "timelapse_available": True,
                "vpn_url": DYN,
                "is_local": False,
                "network_lock": False,
                "firmware_name": "3.2.0",
                "wifi_strength": 62,
                "alim_status": 2,
                "locked": False,
                "wifi_state": "high",
            },
            settable=frozenset({"monitoring", "floodlight", "siren_status"}),
            events=("outdoor", "light_mode", "connection", "disconnection", "on", "off"),
            hls=True,
        ),
        _spec(
            "NDB",
            "Smart Video Doorbell",
            "camera",
            "read_doorbell",
            "write_doorbell",
            "access_doorbell",
            topology={
                "reachable": DYN,
                "hk_device_id": "123456007df1",
                "customer_id": "1000010",
                "network_lock": False,
                "quick_display_zone": 62,
            },
            status={
                "last_ftp_event": {"type": 3, "time": 1631444443, "id": 3},
                "websocket_connected": True,
                "vpn_url": DYN,
                "is_local": False,
                "alim_status": 2,
                "connection": "wifi",
                "firmware_name": "2.18.0",
                "firmware_revision": 2018000,
                "homekit_status": "configured",
                "max_peers_reached": False,
                "sd_status": 4,
                "wifi_strength": 66,
                "wifi_state": "medium",
            },
            events=(
                "incoming_call",
                "accepted_call",
                "missed_call",
                "rtc",
                "human",
                "connection",
                "disconnection",
            ),
            hls=True,
        ),
        _spec(
            "NACamDoorTag",
            "Smart Door and Window Sensor",
            "security",
            "read_camera",
            topology={"category": "door"},
            status={
                **_RADIO,
                "rf_state": "full",
                "rf_strength": 58,
                "last_seen": DYN,
                "last_activity": DYN,
                "reachable": DYN,
                "bridge": DYN,
                "status": "closed",
            },
            events=("tag_open", "tag_big_move", "tag_small_move", "tag_uninstalled", "module_low_battery"),
        ),
        _spec(
            "NIS",
            "Smart Indoor Siren",
            "security",
            "read_camera",
            "write_camera",
            status={
                **_RADIO,
                "rf_state": "medium",
                "rf_strength": 62,
                "last_seen": DYN,
                "reachable": DYN,
                "bridge": DYN,
                "status": "no_sound",
                "monitoring": "off",
            },
            settable=frozenset({"monitoring"}),
            events=("siren_sounding", "siren_tampered"),
        ),
        _spec(
            "NSD",
            "Smart Smoke Alarm",
            "alarm",
            "read_smokedetector",
            status={"firmware_revision": 114, "wifi_strength": 60, "last_seen": DYN, "reachable": DYN},
            events=(
                "smoke",
                "hush",
                "tampered",
                "wifi_status",
                "battery_status",
                "detection_chamber_status",
                "sound_test",
                "connection",
                "disconnection",
            ),
        ),
        _spec(
            "NCO",
            "Smart Carbon Monoxide Alarm",
            "alarm",
            "read_carbonmonoxidedetector",
            status={"firmware_revision": 58, "wifi_strength": 55, "last_seen": DYN, "reachable": DYN},
            events=(
                "co_detected",
                "tampered",
                "wifi_status",
                "battery_status",
                "sound_test",
                "connection",
                "disconnection",
            ),
        ),
        _spec(
            "NAPlug",
            "Smart Thermostat relay",
            "energy",
            "read_thermostat",
            "write_thermostat",
            is_bridge=True,
            status={"firmware_revision": 174, "rf_strength": 107, "wifi_strength": 42},
            events=("connection", "disconnection"),
        ),
        _spec(
            "NATherm1",
            "Smart Thermostat",
            "energy",
            "read_thermostat",
            "write_thermostat",
            status={
                "reachable": DYN,
                "firmware_revision": 65,
                "rf_strength": 58,
                "battery_level": 3793,
                "boiler_valve_comfort_boost": False,
                "boiler_status": DYN,
                "anticipating": False,
                "bridge": DYN,
                "battery_state": "high",
            },
            events=("module_low_battery",),
        ),
        _spec(
            "NRV",
            "Smart Radiator Valve",
            "energy",
            "read_thermostat",
            "write_thermostat",
            status={
                "reachable": DYN,
                "firmware_revision": 79,
                "rf_strength": 51,
                "battery_level": 3025,
                "bridge": DYN,
                "battery_state": "full",
            },
            events=("module_low_battery",),
        ),
        _spec(
            "OTH",
            "OpenTherm relay",
            "energy",
            "read_thermostat",
            "write_thermostat",
            is_bridge=True,
            topology={
                "reachable": DYN,
                "hk_device_id": "12:34:56:20:d0:c5",
                "capabilities": [{"name": "automatism", "available": True}],
                "max_modules_nb": 21,
            },
            status={
                "boiler_control": "onoff",
                "dhw_control": "none",
                "firmware_revision": 22,
                "hardware_version": 222,
                "outdoor_temperature": 8.2,
                "sequence_id": 19764,
                "wifi_strength": 57,
            },
            events=("connection", "disconnection"),
        ),
        _spec(
            "OTM",
            "OpenTherm modulating thermostat",
            "energy",
            "read_thermostat",
            "write_thermostat",
            status={
                "battery_level": 4176,
                "boiler_status": DYN,
                "boiler_valve_comfort_boost": False,
                "firmware_revision": 6,
                "last_message": DYN,
                "last_seen": DYN,
                "radio_id": 2,
                "reachable": DYN,
                "rf_strength": 64,
                "bridge": DYN,
                "battery_state": "full",
            },
            events=("module_low_battery",),
        ),
        _spec(
            "BNS",
            "Smarther with Netatmo",
            "energy",
            # Real accounts grant read_smarther/write_smarther; the thermostat scopes stand in for them here.
            "read_thermostat",
            "write_thermostat",
            status={
                "firmware_revision": 32,
                "wifi_strength": 62,
                "boiler_status": DYN,
                "boiler_valve_comfort_boost": False,
                "cooler_status": False,
            },
            events=("connection", "disconnection"),
        ),
        _spec(
            "NAMain",
            "Smart Home Weather station",
            "weather",
            "read_station",
            is_bridge=True,
            topology={
                "reachable": DYN,
                "customer_id": "C00016",
                "hardware_version": 251,
                "public_ext_data": False,
                "public_ext_counter": 0,
                "alarm_config": {
                    "default_alarm": [{"db_alarm_number": 0}],
                    "personnalized": [
                        {"threshold": 20, "data_type": 1, "direction": 0, "db_alarm_number": 8}
                    ],
                },
                "module_offset": {},
            },
            status={
                "firmware_revision": 202,
                "wifi_state": "full",
                "wifi_strength": 45,
                "ts": DYN,
                "temperature": DYN,
                "co2": DYN,
                "humidity": DYN,
                "noise": DYN,
                "pressure": DYN,
                "absolute_pressure": DYN,
            },
        ),
        _spec(
            "NAModule1",
            "Smart Outdoor Module",
            "weather",
            "read_station",
            status={
                **_RADIO,
                "rf_state": "full",
                "rf_strength": 42,
                "last_seen": DYN,
                "reachable": DYN,
                "bridge": DYN,
                "ts": DYN,
                "temperature": DYN,
                "humidity": DYN,
            },
        ),
        _spec(
            "NLG",
            "Legrand Gateway",
            "legrand",
            "read_magellan",
            "write_magellan",
            is_bridge=True,
            status={
                "offload": False,
                "firmware_revision": 211,
                "last_seen": DYN,
                "wifi_strength": 51,
                "reachable": DYN,
            },
            settable=frozenset({"scenario"}),
            events=("connection", "disconnection"),
        ),
        _spec(
            "NLP",
            "Legrand Plug",
            "legrand",
            "read_magellan",
            "write_magellan",
            topology={"appliance_type": "other"},
            status={"on": False, "offload": False, **_LEGRAND_RADIO, "power": DYN, "bridge": DYN},
            settable=frozenset({"on"}),
        ),
        _spec(
            "NLL",
            "Legrand Light switch",
            "legrand",
            "read_magellan",
            "write_magellan",
            status={**_LEGRAND_RADIO, "on": False, "power": DYN, "bridge": DYN},
            settable=frozenset({"on"}),
        ),
        _spec(
            "NLFN",
            "Legrand Dimmer",
            "legrand",
            "read_magellan",
            "write_magellan",
            status={"on": False, "brightness": 60, **_LEGRAND_RADIO, "power": DYN, "bridge": DYN},
            settable=frozenset({"on", "brightness"}),
        ),
        _spec(
            "NLV",
            "Legrand Roller shutter",
            "legrand",
            "read_magellan",
            "write_magellan",
            topology={"appliance_type": "rolling_shutter"},
            status={
                "current_position": 0,
                **_LEGRAND_RADIO,
                "target_position": 0,
                "target_position:step": 100,
                "bridge": DYN,
            },
            settable=frozenset({"target_position"}),
        ),
    ]
}
