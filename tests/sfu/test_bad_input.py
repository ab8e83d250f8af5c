"""Bad input gets a clear error with a stable code and leaves the room working."""

from __future__ import annotations

import re

import pytest
from aiortc import RTCSessionDescription

from sfu.errors import SfuError
from tests.sfu.conftest import ColourTrack, Harness, client_pc, eventually


async def offer_sdp(video: bool = True, audio: bool = True) -> str:
    pc = client_pc()
    if audio:
        pc.addTransceiver("audio", direction="sendonly")
    if video:
        pc.addTransceiver("video", direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp


async def error_code(harness: Harness, pid: str, message: dict[str, object]) -> str:
    with pytest.raises(SfuError) as err:
        await harness.sfu.handle(harness.room, pid, message)
    assert err.value.message
    return err.value.code


async def keeps_forwarding(harness: Harness) -> None:
    ann = harness.peers["ann"]
    frames = ann.video_frames_from("bob")
    await eventually(lambda: ann.video_frames_from("bob") >= frames + 10, what="still forwarding")


@pytest.fixture
async def ann_bob(harness: Harness) -> tuple[object, object]:
    ann = await harness.joined("ann", "red")
    bob = await harness.joined("bob", "green")
    await eventually(lambda: ann.video_frames_from("bob") >= 5, what="ann sees bob")
    harness.peer("eve")
    await harness.peers["eve"].join()
    return ann, bob


async def test_malformed_sdp_is_a_bad_sdp_error(
    harness: Harness, ann_bob: tuple[object, object]
) -> None:
    garbage = "v=0\r\nthis is not sdp\r\nm=video\r\n"
    pcs = harness.sfu.stats()["peer_connections"]
    assert await error_code(harness, "eve", {"type": "publish", "sdp": garbage}) == "bad_sdp"
    assert await error_code(harness, "eve", {"type": "answer", "sdp": garbage}) == "bad_sdp"
    assert harness.sfu.stats()["peer_connections"] == pcs
    await keeps_forwarding(harness)


async def test_offer_from_someone_not_admitted_is_refused(
    harness: Harness, ann_bob: tuple[object, object]
) -> None:
    sdp = await offer_sdp()
    message = {"type": "publish", "sdp": sdp}
    assert await error_code(harness, "mallory", message) == "not_in_room"
    with pytest.raises(SfuError) as err:
        await harness.sfu.handle("other-room", "ann", message)
    assert err.value.code == "not_in_room"
    await keeps_forwarding(harness)


async def test_codec_we_do_not_forward_is_refused(
    harness: Harness, ann_bob: tuple[object, object]
) -> None:
    pcs = harness.sfu.stats()["peer_connections"]
    vp9 = re.sub(r"VP8/90000", "VP9/90000", await offer_sdp(audio=False))
    vp9 = re.sub(r"a=rtpmap:\d+ H264/90000\r\n", "", vp9)
    vp9 = re.sub(r"a=fmtp:\d+ .*packetization-mode.*\r\n", "", vp9)
    only_vp9 = re.sub(r"a=rtpmap:(\d+) H264", r"a=rtpmap:\1 VP9", vp9)
    assert await error_code(harness, "eve", {"type": "publish", "sdp": only_vp9}) == (
        "unsupported_codec"
    )
    pcmu = await offer_sdp(video=False)
    pcmu = re.sub(r"opus/48000/2", "PCMU/8000", pcmu)
    pcmu = re.sub(r"a=rtpmap:(\d+) PCMU/8000\r\n(?=a=rtpmap:\d+ PCMU)", "", pcmu)
    code = await error_code(harness, "eve", {"type": "publish", "sdp": pcmu})
    assert code == "unsupported_codec"
    assert harness.sfu.stats()["peer_connections"] == pcs
    await keeps_forwarding(harness)


async def test_unknown_or_incomplete_messages_are_bad_messages(
    harness: Harness, ann_bob: tuple[object, object]
) -> None:
    for message in (
        {"type": "dance"},
        {"type": "publish"},
        {"type": "mute", "kind": "smell"},
        {"type": "record", "on": "yes"},
        {"type": "remove"},
    ):
        assert await error_code(harness, "eve", message) == "bad_message", message
    assert await error_code(harness, "../etc", {"type": "join"}) == "bad_message"
    await keeps_forwarding(harness)


async def test_a_publishers_receive_only_m_line_is_ignored(
    harness: Harness, ann_bob: tuple[object, object]
) -> None:
    pc = client_pc()
    try:
        pc.addTransceiver(ColourTrack("blue"), direction="sendonly")
        pc.addTransceiver("video", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        reply = await harness.sfu.handle(
            harness.room, "eve", {"type": "publish", "sdp": pc.localDescription.sdp}
        )
        await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))
        eve = harness.sfu._rooms[harness.room].participants["eve"]
        assert list(eve.forwarders) == ["video"]
        ann = harness.peers["ann"]
        await eventually(lambda: ann.colours.get("eve", {}).get("blue", 0) >= 5, what="eve's video")
    finally:
        await pc.close()
