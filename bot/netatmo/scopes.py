"""The OAuth scopes the bot asks for: every one a feature needs, and no more.

Grouped by product so the linking message can explain each group in one sentence (bot.linking.texts).
"""

from __future__ import annotations

CAMERA_SCOPES = (
    "read_camera",
    "write_camera",
    "access_camera",
    "read_presence",
    "write_presence",
    "access_presence",
    "read_camerapro",
    "write_camerapro",
    "access_camerapro",
    "read_doorbell",
    "write_doorbell",
    "access_doorbell",
)
ALARM_SCOPES = ("read_smokedetector", "read_carbonmonoxidedetector")
THERMOSTAT_SCOPES = ("read_thermostat", "write_thermostat")
HOME_CONTROL_SCOPES = ("read_magellan", "write_magellan", "read_bubendorff", "write_bubendorff")
WEATHER_SCOPES = ("read_station", "read_homecoach")

ALL_SCOPES: tuple[str, ...] = (
    *CAMERA_SCOPES,
    *ALARM_SCOPES,
    *THERMOSTAT_SCOPES,
    *HOME_CONTROL_SCOPES,
    *WEATHER_SCOPES,
)


def scope_string() -> str:
    """The `scope` parameter of the authorize URL and the code exchange (space separated)."""
    return " ".join(ALL_SCOPES)


def scope_group(scope: str) -> str:
    """Which permission group a scope belongs to: cameras, alarms, heating, home_control or weather."""
    if scope in CAMERA_SCOPES:
        return "cameras"
    if scope in ALARM_SCOPES:
        return "alarms"
    if scope in THERMOSTAT_SCOPES:
        return "heating"
    if scope in HOME_CONTROL_SCOPES:
        return "home_control"
    return "weather"
