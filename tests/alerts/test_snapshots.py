"""Snapshot URLs in Netatmo's three shapes, and one fetch per event however many chats ask."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.alerts.snapshots import SnapshotStore, camera_url_from_status, snapshot_url
from bot.domain.events import SnapshotRef

CAMERA = "70:ee:50:00:00:01"

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


async def test_concurrent_requests_share_one_fetch(
    delivery_event: Any, image_gateway: Any, jpeg: Any
) -> None:
    gateway = image_gateway(images={"https://blob/1.jpg": jpeg()})
    store = SnapshotStore(lambda: gateway, API)
    event = delivery_event("e1", snapshot_url="https://blob/1.jpg")
    results = await asyncio.gather(*(store.fetch(7, event) for _ in range(5)))
    assert all(r == gateway.images["https://blob/1.jpg"] for r in results)
    assert gateway.calls == ["https://blob/1.jpg"]
    store.remember_file_id(7, "file-1")
    assert store.file_id(7) == "file-1"


async def test_not_ready_is_not_retried_by_every_chat_at_once(
    delivery_event: Any, image_gateway: Any, jpeg: Any
) -> None:
    url = "https://blob/2.jpg"
    gateway = image_gateway(images={url: jpeg()}, not_ready={url: 1})
    store = SnapshotStore(lambda: gateway, API, retry_after=0.2)
    event = delivery_event("e2", snapshot_url=url)
    assert await store.fetch(1, event) is None
    assert await store.fetch(1, event) is None  # within retry_after: no new request
    assert len(gateway.calls) == 1
    await asyncio.sleep(0.25)
    assert await store.fetch(1, event) == gateway.images[url]
    assert len(gateway.calls) == 2


async def test_outdoor_filename_is_fetched_from_the_camera_vpn_url(
    delivery_event: Any, image_gateway: Any, jpeg: Any
) -> None:
    gateway = image_gateway(images={"http://camera.invalid/vpn/vod/e/snapshot_1.jpg": jpeg()})
    store = SnapshotStore(lambda: gateway, API)
    event = delivery_event("e3")
    event = type(event)(**{**event.__dict__, "snapshot": SnapshotRef(filename="vod/e/snapshot_1.jpg")})
    assert await store.fetch(3, event) is not None
    assert gateway.statuses == 1


async def test_no_gateway_or_no_snapshot_means_no_picture(delivery_event: Any, image_gateway: Any) -> None:
    store = SnapshotStore(lambda: None, API)
    assert await store.fetch(1, delivery_event("e4", snapshot_url="https://blob/4.jpg")) is None
    gateway = image_gateway()
    assert await SnapshotStore(lambda: gateway, API).fetch(2, delivery_event("e5")) is None
    assert gateway.calls == []


async def test_a_prefetched_picture_is_downloaded_once_and_taken_over_by_fetch(
    delivery_event: Any, image_gateway: Any, jpeg: Any
) -> None:
    url = "https://blob/early.jpg"
    gateway = image_gateway(images={url: jpeg()})
    store = SnapshotStore(lambda: gateway, API)
    event = delivery_event("e6", snapshot_url=url)
    store.prefetch(event)
    store.prefetch(event)  # a duplicate push: still one download
    await asyncio.sleep(0)  # the download starts without anyone waiting for it
    assert gateway.calls == [url]
    results = await asyncio.gather(*(store.fetch(9, event) for _ in range(3)))
    assert results == [gateway.images[url]] * 3
    assert gateway.calls == [url]
    assert store.fetches == 1


async def test_prefetches_nobody_takes_are_dropped_oldest_first(
    delivery_event: Any, image_gateway: Any, jpeg: Any
) -> None:
    gateway = image_gateway(images={f"https://blob/{i}.jpg": jpeg() for i in range(4)})
    store = SnapshotStore(lambda: gateway, API, capacity=2)
    events = [delivery_event(f"p{i}", snapshot_url=f"https://blob/{i}.jpg") for i in range(4)]
    for event in events:
        store.prefetch(event)
    assert len(store._early) == 2  # bounded: the two oldest were dropped
    assert await store.fetch(1, events[0]) == gateway.images["https://blob/0.jpg"]  # fetched afresh
    assert await store.fetch(2, events[3]) == gateway.images["https://blob/3.jpg"]
    assert gateway.calls.count("https://blob/3.jpg") == 1


async def test_nothing_is_prefetched_without_a_picture_or_a_gateway(
    delivery_event: Any, image_gateway: Any
) -> None:
    gateway = image_gateway()
    SnapshotStore(lambda: gateway, API).prefetch(delivery_event("e7"))
    SnapshotStore(lambda: None, API).prefetch(delivery_event("e8", snapshot_url="https://blob/8.jpg"))
    await asyncio.sleep(0)
    assert gateway.calls == []


async def test_a_blob_url_needs_no_link_and_an_api_url_does(
    delivery_event: Any, image_gateway: Any, jpeg: Any
) -> None:
    class Counting(image_gateway):
        lookups = 0

        def link_for_home(self, home_id: str) -> int | None:
            self.lookups += 1
            return None  # nobody's link sees the home any more

    blob = "https://blob/9.jpg"
    gateway = Counting(images={blob: jpeg()})
    store = SnapshotStore(lambda: gateway, API)
    assert await store.fetch(1, delivery_event("b1", snapshot_url=blob)) == gateway.images[blob]
    assert gateway.lookups == 0
    legacy = delivery_event("b2")
    legacy = type(legacy)(**{**legacy.__dict__, "snapshot": SnapshotRef(image_id="i", key="k")})
    assert await store.fetch(2, legacy) is None  # getcamerapicture takes a token: no link, no picture
    assert gateway.lookups == 1
    assert gateway.calls == [blob]
