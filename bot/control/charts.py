"""Heating charts as PNG bytes: a room's measured temperature and setpoint, the boiler's daily run time.

Rendering is pure (numbers and labels in, PNG bytes out) so tests can check the picture without a bot.
matplotlib is imported inside the functions, with the Agg backend: it is slow to import and only the
chart buttons need it, and Agg draws without any display.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.domain.schedule import zone

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

MEASURED_COLOUR = "#d62728"  # red: what the room is
SETPOINT_COLOUR = "#1f77b4"  # blue: what it should be
BOILER_COLOUR = "#ff7f0e"
SIZE = (8.0, 4.0)  # inches, at 100 dpi: 800x400 pixels, readable on a phone
DPI = 100


@dataclass(frozen=True)
class ChartLabels:
    """Translated texts of a chart (the renderer knows no language)."""

    title: str
    measured: str = "Measured"
    setpoint: str = "Setpoint"
    unit: str = "°C"
    empty: str = "No data"


def _figure() -> tuple[Figure, Axes]:
    # A bare Figure draws with the Agg canvas and keeps no global state (pyplot would, across
    # concurrent presses).
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE, dpi=DPI)
    return figure, figure.subplots()


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def room_chart(
    points: Sequence[tuple[int, float | None, float | None]], timezone: str | None, labels: ChartLabels
) -> bytes:
    """Measured temperature (line) and setpoint (steps) over time; `points` are (epoch s, measured,
    setpoint), times shown in the home's zone."""
    from matplotlib import dates

    figure, axes = _figure()
    tz = zone(timezone)
    measured = [(datetime.fromtimestamp(t, tz), m) for t, m, _s in points if m is not None]
    setpoint = [(datetime.fromtimestamp(t, tz), s) for t, _m, s in points if s is not None]
    if measured:
        axes.plot(
            dates.date2num([t for t, _v in measured]),
            [v for _t, v in measured],
            color=MEASURED_COLOUR,
            linewidth=2.5,
            label=labels.measured,
        )
    if setpoint:
        axes.step(
            dates.date2num([t for t, _v in setpoint]),
            [v for _t, v in setpoint],
            where="post",
            color=SETPOINT_COLOUR,
            linewidth=2.5,
            label=labels.setpoint,
        )
    if measured or setpoint:
        axes.legend(loc="upper left")
        times = [t for t, _m, _s in points]
        if max(times) - min(times) <= 2 * 86400:  # a day: every 4 hours, on the hour
            axes.xaxis.set_major_locator(dates.HourLocator(byhour=range(0, 24, 4), tz=tz))
            axes.xaxis.set_major_formatter(dates.DateFormatter("%H:%M", tz=tz))
        else:  # a week: one tick per day at midnight
            axes.xaxis.set_major_locator(dates.DayLocator(tz=tz))
            axes.xaxis.set_major_formatter(dates.DateFormatter("%d/%m", tz=tz))
        figure.autofmt_xdate()
    else:
        axes.text(0.5, 0.5, labels.empty, ha="center", va="center", transform=axes.transAxes)
    axes.set_title(labels.title)
    axes.set_ylabel(labels.unit)
    axes.grid(True, alpha=0.3)
    figure.tight_layout()
    return _png(figure)


def boiler_chart(days: Sequence[tuple[int, float]], timezone: str | None, title: str, unit: str) -> bytes:
    """Hours the boiler ran per day (bars); `days` are (epoch s, seconds on)."""
    figure, axes = _figure()
    tz = zone(timezone)
    names = [datetime.fromtimestamp(t, tz).strftime("%d/%m") for t, _s in days]
    hours = [seconds / 3600 for _t, seconds in days]
    axes.bar(names, hours, color=BOILER_COLOUR)
    axes.set_title(title)
    axes.set_ylabel(unit)
    axes.grid(True, axis="y", alpha=0.3)
    figure.tight_layout()
    return _png(figure)
