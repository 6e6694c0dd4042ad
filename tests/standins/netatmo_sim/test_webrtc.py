"""WebRTC: a real aiortc client receives a decoded frame of the NPC camera over loopback."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aioice.ice
import pytest
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from standins.netatmo_sim import Simulator, SimulatorConfig, imaging
from standins.netatmo_sim.world import demo

CANDIDATE = re.compile(r"^a=candidate:\S+ \d+ \S+ \d+ (\S+) \d+ typ", re.MULTILINE)


def candidate_addresses(sdp: str) -> list[str]:
    return CANDIDATE.findall(sdp)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4=True, use_ipv6=False: ["127.0.0.1"])


def close_enough(a: tuple[int, ...], b: tuple[int, ...], tolerance: int = 30) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=False))


async def test_client_receives_a_frame_of_that_camera(sim: Simulator, api: Any, webrtc_offer: Any) -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    got_track: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()

    @pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        if not got_track.done():
            got_track.set_result(track)

    try:
        form = await webrtc_offer(pc)
        offer_sdp, session_id = form["sdp"], form["session_id"]
        assert candidate_addresses(offer_sdp) and set(candidate_addresses(offer_sdp)) == {"127.0.0.1"}
        status, payload = await api("webrtc/offer", data=form)
        assert status == 200 and payload["body"]["status"] == "ok"
        answer_sdp = payload["body"]["sdpAnswer"]
        assert candidate_addresses(answer_sdp) and set(candidate_addresses(answer_sdp)) == {"127.0.0.1"}
        async with asyncio.timeout(10):
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))
            track = await got_track
            frame = await track.recv()
        assert set(candidate_addresses(pc.localDescription.sdp)) == {"127.0.0.1"}
        image = frame.to_image()  # type: ignore[union-attr]
        pixel = image.convert("RGB").getpixel(imaging.sample_point(image.size))
        assert close_enough(pixel, imaging.camera_colour(demo.ADVANCE_CAMERA_ID)), pixel
        assert not close_enough(pixel, imaging.camera_colour(demo.INDOOR_CAMERA_ID), 5)
        stop = {
            "home_id": demo.HOME_ONE_ID,
            "device_id": demo.ADVANCE_CAMERA_ID,
            "session_id": session_id,
            "tag_id": payload["body"]["tag_id"],
        }
        assert (await api("webrtc/terminate", data=stop))[1]["body"]["status"] == "ok"
    finally:
        await pc.close()


async def test_sessions_time_out_and_close_on_shutdown(sim: Simulator, api: Any, webrtc_offer: Any) -> None:
    webrtc = sim.state.webrtc
    assert webrtc is not None
    webrtc.timeout = 0.5
    started = webrtc.started_total
    pcs = []
    try:
        for _ in range(2):
            pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
            pcs.append(pc)
            form = await webrtc_offer(pc)
            assert (await api("webrtc/offer", data=form))[1]["body"]["status"] == "ok"
            # Live right after the answer (a slow machine may take longer than 0.5 s per offer, so the
            # first session may already be gone by the time the second is answered).
            assert form["session_id"] in webrtc.sessions
        assert webrtc.started_total == started + 2
        async with asyncio.timeout(5):
            while webrtc.sessions:  # noqa: ASYNC110 - each session ends on its own timer
                await asyncio.sleep(0.05)
    finally:
        for pc in pcs:
            await pc.close()


async def test_doorbell_has_no_public_live_stream(api: Any) -> None:
    form = {
        "home_id": demo.HOME_ONE_ID,
        "device_id": demo.DOORBELL_ID,
        "session_id": "s",
        "sdp": "v=0\r\nm=video",
    }
    status, payload = await api("webrtc/offer", data=form)
    assert status == 200 and payload["body"]["status"] == "error" and payload["body"]["error"]["code"] == 21


async def test_loopback_switch_patches_and_restores_aioice(monkeypatch: pytest.MonkeyPatch) -> None:
    def original(use_ipv4: bool = True, use_ipv6: bool = False) -> list[str]:
        return ["192.0.2.1"]

    monkeypatch.setattr(aioice.ice, "get_host_addresses", original)
    async with Simulator(SimulatorConfig(port=0)), Simulator(SimulatorConfig(port=0)):
        assert aioice.ice.get_host_addresses(True, False) == ["127.0.0.1"]
    assert aioice.ice.get_host_addresses is original
    async with Simulator(SimulatorConfig(port=0, loopback_only=False)):
        assert aioice.ice.get_host_addresses is original
