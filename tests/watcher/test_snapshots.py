"""Snapshot URLs in Netatmo's three shapes, and one fetch per event however many chats ask."""

from __future__ import annotations

import asyncio

from bot.domain.events import SnapshotRef
from bot.watcher.snapshots import SnapshotStore, camera_url_from_status, snapshot_url
from tests.watcher.delivery_fixtures import CAMERA, FakeGateway, jpeg, make_event

API = "https://api.netatmo.com"


def test_three_shapes_of_snapshot() -> None:
    assert snapshot_url(SnapshotRef(url="https://blob/x.jpg"), API, None) == "https://blob/x.jpg"
    legacy = snapshot_url(SnapshotRef(image_id="abc", key="k/1"), API + "/", None)
    assert legacy == "https://api.netatmo.com/api/getcamerapicture?image_id=abc&key=k%2F1"
    ref = SnapshotRef(filename="/vod/1/events/2/snapshot_3.jpg")
    assert snapshot_url(ref, API, "https://vpn/abc/") == "https://vpn/abc/vod/1/events/2/snapshot_3.jpg"
    assert snapshot_url(ref, API, None) is None
    assert snapshot_url(SnapshotRef(), API, "https://vpn") is None


def test_camera_url_found_in_any_homestatus_envelope() -> None:
    modules = [{"id": "other", "vpn_url": "https://a"}, {"id": CAMERA, "vpn_url": "https://b"}]
    assert camera_url_from_status({"body": {"home": {"modules": modules}}}, CAMERA) == "https://b"
    assert camera_url_from_status({"home": {"modules": modules}}, CAMERA) == "https://b"
    assert camera_url_from_status({"modules": modules}, "other") == "https://a"
    assert camera_url_from_status({"modules": modules}, "missing") is None


async def test_concurrent_requests_share_one_fetch() -> None:
    gateway = FakeGateway(images={"https://blob/1.jpg": jpeg()})
    store = SnapshotStore(lambda: gateway, API)
    event = make_event("e1", snapshot_url="https://blob/1.jpg")
    results = await asyncio.gather(*(store.fetch(7, event) for _ in range(5)))
    assert all(r == gateway.images["https://blob/1.jpg"] for r in results)
    assert gateway.calls == ["https://blob/1.jpg"]
    store.remember_file_id(7, "file-1")
    assert store.file_id(7) == "file-1"


async def test_not_ready_is_not_retried_by_every_chat_at_once() -> None:
    url = "https://blob/2.jpg"
    gateway = FakeGateway(images={url: jpeg()}, not_ready={url: 1})
    store = SnapshotStore(lambda: gateway, API, retry_after=0.2)
    event = make_event("e2", snapshot_url=url)
    assert await store.fetch(1, event) is None
    assert await store.fetch(1, event) is None  # within retry_after: no new request
    assert len(gateway.calls) == 1
    await asyncio.sleep(0.25)
    assert await store.fetch(1, event) == gateway.images[url]
    assert len(gateway.calls) == 2


async def test_outdoor_filename_is_fetched_from_the_camera_vpn_url() -> None:
    gateway = FakeGateway(images={"http://camera.invalid/vpn/vod/e/snapshot_1.jpg": jpeg()})
    store = SnapshotStore(lambda: gateway, API)
    event = make_event("e3")
    event = type(event)(**{**event.__dict__, "snapshot": SnapshotRef(filename="vod/e/snapshot_1.jpg")})
    assert await store.fetch(3, event) is not None
    assert gateway.statuses == 1


async def test_no_gateway_or_no_snapshot_means_no_picture() -> None:
    store = SnapshotStore(lambda: None, API)
    assert await store.fetch(1, make_event("e4", snapshot_url="https://blob/4.jpg")) is None
    gateway = FakeGateway()
    assert await SnapshotStore(lambda: gateway, API).fetch(2, make_event("e5")) is None
    assert gateway.calls == []
