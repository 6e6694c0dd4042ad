"""Pictures drawn with Pillow: event snapshots, live stills and WebRTC video frames.

Each event gets its own background colour (`event_colour`) and each camera its own
(`camera_colour`), so tests can tell pictures apart by sampling a pixel away from the text
(`sample_point`). JPEG and video compression shift colours a little: compare with a tolerance.
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

Colour = tuple[int, int, int]
SNAPSHOT_SIZE = (640, 360)
LIVE_SIZE = (1280, 720)
FRAME_SIZE = (320, 240)


def _colour(salt: str, value: str) -> Colour:
    digest = hashlib.sha256(f"{salt}:{value}".encode()).digest()
    # Stay away from black and white so the text box and compression never blur them together.
    return (40 + digest[0] % 176, 40 + digest[1] % 176, 40 + digest[2] % 176)


def event_colour(event_id: str) -> Colour:
    """Background colour of the snapshot of an event (or outdoor sub-event) id."""
    return _colour("event", event_id)


def camera_colour(device_id: str) -> Colour:
    """Background colour of a camera's live still and WebRTC frames."""
    return _colour("camera", device_id)


def sample_point(size: tuple[int, int]) -> tuple[int, int]:
    """A pixel guaranteed to show the background colour (bottom right, clear of text)."""
    return (size[0] - 16, size[1] - 16)


def _stamp(time_s: float) -> str:
    return datetime.fromtimestamp(time_s, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@lru_cache(maxsize=1)
def _font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default()


@lru_cache(maxsize=2048)
def _line_mask(line: str) -> Image.Image:
    """One line of text as a mask, rendered once and pasted as often as needed.

    Rendering glyphs costs more than the rest of a picture, and lines repeat: camera names, event types, the
    clock's second. Pasting the white through this mask gives the same pixels as drawing the text in place.
    """
    font = _font()
    _left, _top, right, bottom = font.getbbox(line)
    mask = Image.new("L", (max(1, int(right) + 1), max(1, int(bottom) + 1)), 0)
    ImageDraw.Draw(mask).text((0, 0), line, fill=255, font=font)
    return mask


def draw(size: tuple[int, int], colour: Colour, lines: list[str]) -> Image.Image:
    """A solid picture with a dark text box in the top-left corner."""
    image = Image.new("RGB", size, colour)
    pen = ImageDraw.Draw(image)
    height = 14 * len(lines) + 10
    width = min(size[0] - 40, 8 + 7 * max((len(line) for line in lines), default=1))
    pen.rectangle((4, 4, 4 + width, 4 + height), fill=(20, 20, 20))
    for i, line in enumerate(lines):
        image.paste((255, 255, 255), (10, 8 + 14 * i), _line_mask(line))
    return image


def to_jpeg(image: Image.Image) -> bytes:
    """Encode as a JPEG of good quality (colours stay within a few units)."""
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


@lru_cache(maxsize=512)
def event_snapshot(
    event_id: str, camera_name: str, event_type: str, time_s: int, vignette: bool = False
) -> bytes:
    """JPEG of an event snapshot (cached: an event's picture never changes)."""
    size = (160, 160) if vignette else SNAPSHOT_SIZE
    lines = [camera_name, event_type, _stamp(time_s)] if not vignette else [event_type]
    return to_jpeg(draw(size, event_colour(event_id), lines))


def live_snapshot(device_id: str, camera_name: str, time_s: float) -> bytes:
    """JPEG of a camera's live still (snapshot_720.jpg)."""
    return to_jpeg(draw(LIVE_SIZE, camera_colour(device_id), [camera_name, "live", _stamp(time_s)]))


def face(person_id: str, label: str) -> bytes:
    """JPEG of a person's face thumbnail."""
    return to_jpeg(draw((120, 120), _colour("face", person_id), [label]))


def video_frame(device_id: str, camera_name: str, time_s: float) -> Image.Image:
    """One WebRTC frame: camera colour, name and clock."""
    return draw(FRAME_SIZE, camera_colour(device_id), [camera_name, _stamp(time_s)])
