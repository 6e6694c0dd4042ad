"""The simulator's pictures: text pasted from cached masks must look exactly like text drawn in place."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops, ImageDraw

from standins.netatmo_sim import imaging


def _drawn_in_place(size: tuple[int, int], colour: imaging.Colour, lines: list[str]) -> Image.Image:
    image = Image.new("RGB", size, colour)
    pen = ImageDraw.Draw(image)
    height = 14 * len(lines) + 10
    width = min(size[0] - 40, 8 + 7 * max((len(line) for line in lines), default=1))
    pen.rectangle((4, 4, 4 + width, 4 + height), fill=(20, 20, 20))
    for i, line in enumerate(lines):
        pen.text((10, 8 + 14 * i), line, fill=(255, 255, 255))
    return image


@pytest.mark.parametrize(
    ("size", "lines"),
    [
        (imaging.SNAPSHOT_SIZE, ["Hall camera", "movement", "2026-11-26 01:00:00 UTC"]),
        ((160, 160), ["human"]),
        (imaging.FRAME_SIZE, ["Jardin é ✓ gjpqy", "x" * 120]),  # descenders, accents, clipped line
        ((120, 120), [""]),
    ],
)
def test_cached_text_gives_the_same_pixels(size: tuple[int, int], lines: list[str]) -> None:
    for _ in range(2):  # the second time from the cache
        drawn = imaging.draw(size, (90, 130, 170), lines)
        assert ImageChops.difference(drawn, _drawn_in_place(size, (90, 130, 170), lines)).getbbox() is None


def test_background_colour_stays_clear_of_the_text() -> None:
    jpeg = imaging.event_snapshot("evt-1", "Hall", "movement", 1_700_000_000)
    with Image.open(io.BytesIO(jpeg)) as picture:
        pixel = picture.convert("RGB").getpixel(imaging.sample_point(picture.size))
    expected = imaging.event_colour("evt-1")
    assert all(abs(a - b) <= 8 for a, b in zip(pixel, expected, strict=True))
