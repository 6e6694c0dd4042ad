"""Files the bot sends: multipart uploads, ``attach://`` parts, reused ``file_id``s and loopback URLs.

Uploads are decoded with Pillow like Telegram does (garbage bytes as a photo fail with
``IMAGE_PROCESS_FAILED``; JPEGs in draft mode, at the reduced scale the thumbnail needs, which decodes the
whole stream for a fraction of the cost), and a photo gets a PhotoSize list with a real thumbnail, so a
bot that picks ``photo[-1]`` gets the original. URLs other than http://127.0.0.1 are refused: the
emulator never goes out to the network.
"""

from __future__ import annotations

import io
from typing import Any

import aiohttp
from PIL import Image, UnidentifiedImageError

from .params import Params, UploadedFile, bad_request
from .state import StoredFile, World

JSON = dict[str, Any]

_LOOPBACK_PREFIXES = ("http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/")
_WRONG_FILE = "wrong file identifier/HTTP URL specified"


def _photo_size(stored: StoredFile) -> JSON:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": stored.width,
        "height": stored.height,
        "file_size": len(stored.data),
    }


def store_photo(world: World, data: bytes) -> StoredFile:
    """Store a photo and a 320 px thumbnail; both carry the same PhotoSize list as their ``api``."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size  # from the header
            thumbnail_bytes: bytes | None = None
            if max(width, height) > 320:
                # A JPEG is decoded at the smallest DCT scale that still covers the thumbnail (draft
                # mode): every byte is still decoded, so garbage still fails, at a fraction of the cost.
                scale = 320 / max(width, height)
                image.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
                image.load()
                small = image.convert("RGB")
                small.thumbnail((320, 320))
                buffer = io.BytesIO()
                small.save(buffer, format="JPEG")
                thumbnail_bytes = buffer.getvalue()
                thumb_size = small.size
            else:
                image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise bad_request("IMAGE_PROCESS_FAILED") from None
    full = world.store_file(data, "photo", mime_type="image/jpeg", width=width, height=height)
    sizes = [full]
    if thumbnail_bytes is not None:
        thumb = world.store_file(thumbnail_bytes, "photo", width=thumb_size[0], height=thumb_size[1])
        sizes.insert(0, thumb)
    api = [_photo_size(s) for s in sizes]
    for s in sizes:
        s.api = api
    return full


def store_other(world: World, kind: str, upload: UploadedFile, params: Params | JSON) -> StoredFile:
    """Store a video or document upload with the metadata Telegram would report."""
    mime = upload.content_type or "application/octet-stream"
    stored = world.store_file(upload.data, kind, file_name=upload.filename, mime_type=mime)
    api: JSON = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(upload.data),
        "mime_type": mime,
    }
    if upload.filename:
        api["file_name"] = upload.filename
    if kind == "video":

        def dimension(name: str) -> int:
            value = params.get(name) if isinstance(params, dict) else params.integer(name)
            return int(value) if isinstance(value, int) else 0

        api.update(width=dimension("width"), height=dimension("height"), duration=dimension("duration"))
    stored.api = api
    return stored


async def _fetch_loopback(url: str) -> UploadedFile:
    if not url.startswith(_LOOPBACK_PREFIXES):
        raise bad_request(_WRONG_FILE)
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as response,
        ):
            if response.status != 200:
                raise bad_request("failed to get HTTP URL content")
            data = await response.read()
            return UploadedFile(data, url.rsplit("/", 1)[-1] or None, response.content_type)
    except (aiohttp.ClientError, TimeoutError):
        raise bad_request("failed to get HTTP URL content") from None


async def obtain_file(
    world: World, params: Params, kind: str, value: Any, upload: UploadedFile | None, extra: Params | JSON
) -> tuple[StoredFile, bool]:
    """Resolve one media input to a stored file; the bool says whether bytes were uploaded."""
    if upload is None and isinstance(value, str) and value.startswith("attach://"):
        upload = params.files.get(value.removeprefix("attach://"))
        if upload is None:
            raise bad_request(_WRONG_FILE)
    if upload is None and isinstance(value, str) and value.startswith(("http://", "https://")):
        upload = await _fetch_loopback(value)
    if upload is not None:
        if kind == "photo":
            return store_photo(world, upload.data), True
        return store_other(world, kind, upload, extra), True
    if not isinstance(value, str) or not value:
        raise bad_request(f"there is no {kind} in the request")
    stored = world.files.get(value)
    if stored is None:
        raise bad_request(_WRONG_FILE)
    if stored.kind != kind:
        raise bad_request(f"can't use file of type {stored.kind.title()} as {kind.title()}")
    return stored, False
