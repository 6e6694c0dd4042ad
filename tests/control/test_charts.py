"""The chart renderer: valid PNGs whose pixels show the data (bytes in, bytes out, no bot)."""

from __future__ import annotations

import io

from PIL import Image

from bot.control import charts

LABELS = charts.ChartLabels("Living room: 24 hours")
START = 1_764_669_600  # a round hour


def _image(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("RGB")


def _rows_with(image: Image.Image, colour: tuple[int, int, int], left: int = 0) -> list[int]:
    """The pixel rows where `colour` appears (within a small tolerance), right of column `left`."""
    width, height = image.size
    pixels = image.load()
    assert pixels is not None
    rows = []
    for y in range(height):
        if any(
            all(abs(a - b) <= 12 for a, b in zip(pixels[x, y], colour, strict=True))
            for x in range(left, width)
        ):
            rows.append(y)
    return rows


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return (int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16))


def test_the_room_chart_draws_both_series_where_the_data_is() -> None:
    rising = [(START + h * 3600, 15.0 + h * 0.5, 20.0) for h in range(24)]
    image = _image(charts.room_chart(rising, "Europe/Paris", LABELS))
    assert image.size == (800, 400)
    # the right half: the data, clear of the legend in the upper left corner
    measured = _rows_with(image, _rgb(charts.MEASURED_COLOUR), left=400)
    setpoint = _rows_with(image, _rgb(charts.SETPOINT_COLOUR), left=400)
    assert measured and setpoint
    # the measured line climbs through 21 → 26.5 °C there; the setpoint is a flat line at 20 °C, below it
    assert max(setpoint) - min(setpoint) <= 6
    assert max(measured) - min(measured) > 60
    assert max(measured) < min(setpoint)  # every measured pixel is above (smaller y) the setpoint


def test_different_data_gives_a_different_picture() -> None:
    warm = [(START + h * 3600, 21.0, 21.0) for h in range(24)]
    cold = [(START + h * 3600, 16.0 + (h % 3), 18.0) for h in range(24)]
    assert charts.room_chart(warm, "UTC", LABELS) != charts.room_chart(cold, "UTC", LABELS)


def test_no_data_still_makes_a_picture() -> None:
    image = _image(charts.room_chart([], "UTC", LABELS))
    assert not _rows_with(image, _rgb(charts.MEASURED_COLOUR))


def test_the_boiler_chart_has_one_bar_per_day() -> None:
    days = [(START + d * 86400, float(3600 * (d + 1))) for d in range(7)]
    image = _image(charts.boiler_chart(days, "Europe/Paris", "Boiler", "hours"))
    assert _rows_with(image, _rgb(charts.BOILER_COLOUR))
