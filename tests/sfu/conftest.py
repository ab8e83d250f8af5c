"""Fixtures for SFU tests: real aiortc peers on loopback driving an SfuService.

Each test peer publishes a solid-colour video (the colour identifies the
publisher) and a tone or silence, answers the SFU's subscribing offers, and
decodes what it receives, classifying every frame by colour.
"""

from __future__ import annotations

import array
import asyncio
import fractions
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import av
import pytest
from aiortc import (
    MediaStreamTrack,
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError

from sfu import SfuConfig, SfuService, native
from sfu.supervision import stop_task

WIDTH, HEIGHT, FPS = 160, 120, 15
# name -> (Y, U, V)
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (81, 90, 240),
    "green": (145, 54, 34),
    "blue": (41, 240, 110),
    "yellow": (210, 16, 146),
    "cyan": (170, 166, 16),
    "magenta": (106, 202, 222),
}


def client_pc() -> RTCPeerConnection:
    """A test client's connection: loopback only, one transport for all m-lines.

    (With aiortc's default "balanced" policy, an aiortc answerer leaves the
    second video m-line of a first offer unstarted; browsers do not.)
    """
    return RTCPeerConnection(
        RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
    )


def classify(frame: av.VideoFrame) -> str:
    """The colour name nearest to a decoded frame's centre pixel."""
    u_plane, v_plane = frame.planes[1], frame.planes[2]
    pos = (frame.height // 4) * u_plane.line_size + frame.width // 4
    u, v = bytes(u_plane)[pos], bytes(v_plane)[pos]
    return min(COLOURS, key=lambda c: (COLOURS[c][1] - u) ** 2 + (COLOURS[c][2] - v) ** 2)


class PacedVideoTrack(MediaStreamTrack):
    """A video track that hands out frames at ``FPS``, in real time, with 90 kHz timestamps."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self._n = 0
        self._t0: float | None = None

    async def blank_frame(self, width: int, height: int) -> av.VideoFrame:
        """The next frame (planes to be filled by the caller), once its time has come."""
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = now
        wait = self._t0 + self._n / FPS - now
        if wait > 0:
            await asyncio.sleep(wait)
        frame = av.VideoFrame(width, height, "yuv420p")
        frame.pts = self._n * (90000 // FPS)
        frame.time_base = fractions.Fraction(1, 90000)
        self._n += 1
        return frame


class ColourTrack(PacedVideoTrack):
    """A video track of solid frames in one colour, encoded by aiortc's VP8 encoder."""

    def __init__(self, colour: str) -> None:
        super().__init__()
        y, u, v = COLOURS[colour]
        self._planes = (y, u, v)

    async def recv(self) -> av.VideoFrame:
        frame = await self.blank_frame(WIDTH, HEIGHT)
        for plane, value in zip(frame.planes, self._planes, strict=True):
            plane.update(bytes([value]) * plane.buffer_size)
        return frame


class ToneTrack(MediaStreamTrack):
    """20 ms mono frames of a 440 Hz tone (speaking) or silence."""

    kind = "audio"

    def __init__(self, speaking: bool) -> None:
        super().__init__()
        self.speaking = speaking
        amp = 8000
        tone = array.array(
            "h", (int(amp * math.sin(2 * math.pi * 440 * i / 48000)) for i in range(960))
        )
        self._tone = tone.tobytes()
        self._silence = bytes(960 * 2)
        self._n = 0
        self._t0: float | None = None

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = now
        wait = self._t0 + self._n * 0.02 - now
        if wait > 0:
            await asyncio.sleep(wait)
        frame = av.AudioFrame(format="s16", layout="mono", samples=960)
        frame.planes[0].update(self._tone if self.speaking else self._silence)
        frame.sample_rate = 48000
        frame.pts = self._n * 960
        frame.time_base = fractions.Fraction(1, 48000)
        self._n += 1
        return frame


def drop_incoming_rtp(pc: RTCPeerConnection, share: float, seed: int = 7) -> Callable[[], int]:
    """Make `pc` lose `share` of the SRTP datagrams it receives, as a lossy network would.

    Drops happen before SRTP (a retransmission must not look like a replay).
    Returns a function giving the number of packets dropped so far.
    """
    rng = random.Random(seed)
    dropped = [0]
    patched: set[int] = set()
    for transceiver in pc.getTransceivers():
        ice = transceiver.receiver.transport.transport
        if id(ice) in patched:
            continue
        patched.add(id(ice))
        original = ice._recv

        async def lossy_recv(_orig: Any = original) -> bytes:
            while True:
                data: bytes = await _orig()
                is_rtp = 127 < data[0] < 192 and not 191 < data[1] < 224
                if is_rtp and rng.random() < share:
                    dropped[0] += 1
                    continue
                return data

        ice._recv = lossy_recv
    return lambda: dropped[0]


def drop_outgoing_rtp(pc: RTCPeerConnection, share: float, seed: int = 7) -> Callable[[], int]:
    """Make `share` of the SRTP datagrams `pc` sends get lost on the way, as a lossy network would.

    For loss towards the SFU: the SFU reads its publishers' media natively
    (`sfu.native.watch_ingress`), so the loss is made where the datagrams leave
    the client, after SRTP (retransmissions are new packets, not replays).
    Returns a function giving the number of packets dropped so far.
    """
    rng = random.Random(seed)
    dropped = [0]
    patched: set[int] = set()
    for transceiver in pc.getTransceivers():
        ice = transceiver.sender.transport.transport
        if id(ice) in patched:
            continue
        patched.add(id(ice))
        original = ice._send

        async def lossy_send(data: bytes, _orig: Any = original) -> None:
            is_rtp = 127 < data[0] < 192 and not 191 < data[1] < 224
            if is_rtp and rng.random() < share:
                dropped[0] += 1
                return
            await _orig(data)

        ice._send = lossy_send
    return lambda: dropped[0]


class Peer:
    """One test participant: publishes, answers the SFU's offers, decodes what it receives."""

    def __init__(self, harness: Harness, pid: str) -> None:
        self.harness = harness
        self.id = pid
        self.events: list[dict[str, Any]] = []
        self.pub_pc: RTCPeerConnection | None = None
        self.sub_pc: RTCPeerConnection | None = None
        self.screen_pc: RTCPeerConnection | None = None
        self.mids: dict[str, str] = {}  # mid -> publisher id
        # publisher -> colour counts; a publisher not seen yet reads as no frames, so a
        # wait on its first frames waits instead of failing with a KeyError
        self.colours: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.audio_frames: Counter[str] = Counter()
        self.first_frame_at: dict[str, float] = {}
        self.lossy: float = 0.0
        self.dropped: Callable[[], int] = lambda: 0
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[Any]] = [asyncio.create_task(self._process_events())]
        self.tone: ToneTrack | None = None
        self._retired: list[RTCPeerConnection] = []
        self.offers_to_ignore = 0
        """Subscribing offers this peer never sees (lost on the way, like a dropped socket)."""
        self.answer_delay_s = 0.0
        """How long this peer takes to answer (a slow, old device)."""
        self._last_offer = self.last_answer = ""
        self.publish_answer = ""
        """The SFU's answer to this peer's last publishing offer."""

    async def send(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send one message to the SFU as this participant."""
        return await self.harness.sfu.handle(self.harness.room, self.id, message)

    async def join(self) -> None:
        await self.send({"type": "join"})

    async def publish(
        self,
        colour: str | None,
        *,
        audio: bool = True,
        speaking: bool = False,
        video_codec: str = "video/VP8",
    ) -> None:
        """Publish a coloured video (if colour) in `video_codec`, and audio."""
        pc = client_pc()
        if self.pub_pc is not None:
            self._retired.append(self.pub_pc)
        self.pub_pc = pc
        if audio:
            self.tone = ToneTrack(speaking)
            pc.addTransceiver(self.tone, direction="sendonly")
        if colour is not None:
            video = pc.addTransceiver(ColourTrack(colour), direction="sendonly")
            codecs = RTCRtpSender.getCapabilities("video").codecs
            video.setCodecPreferences(
                [c for c in codecs if c.mimeType in (video_codec, "video/rtx")]
            )
        await pc.setLocalDescription(await pc.createOffer())
        reply = await self.send({"type": "publish", "sdp": pc.localDescription.sdp})
        self.publish_answer = reply["sdp"]
        await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))

    async def share_screen(self, colour: str) -> dict[str, Any]:
        """Publish a coloured video as this participant's screen share (its own connection)."""
        pc = client_pc()
        if self.screen_pc is not None:
            self._retired.append(self.screen_pc)
        self.screen_pc = pc
        pc.addTransceiver(ColourTrack(colour), direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        message = {"type": "publish", "source": "screen", "sdp": pc.localDescription.sdp}
        reply = await self.send(message)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))
        return reply

    def emitted(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        self._queue.put_nowait(event)

    def events_of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]

    async def _process_events(self) -> None:
        while True:
            event = await self._queue.get()
            if event["type"] == "offer":
                await self._answer(event)

    async def _answer(self, event: dict[str, Any]) -> None:
        if self.offers_to_ignore > 0:
            self.offers_to_ignore -= 1
            return
        if self.sub_pc is not None and event["sdp"] == self._last_offer:
            # The same offer again (our answer was late or lost): the browser re-sends its answer.
            await self.send({"type": "answer", "sdp": self.last_answer})
            return
        self._last_offer = event["sdp"]
        if event["new_pc"] and self.sub_pc is not None:
            self._retired.append(self.sub_pc)
            self.sub_pc = None
        if self.sub_pc is None:
            self.sub_pc = client_pc()
            self.sub_pc.on("track", self._on_track)
        for track in event["tracks"]:
            self.mids[track["mid"]] = track["participant"]
        pc = self.sub_pc
        await pc.setRemoteDescription(RTCSessionDescription(sdp=event["sdp"], type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        if self.lossy:
            self.dropped = drop_incoming_rtp(pc, self.lossy)
        self.last_answer = pc.localDescription.sdp
        await asyncio.sleep(self.answer_delay_s)
        await self.send({"type": "answer", "sdp": self.last_answer})

    def _on_track(self, track: MediaStreamTrack) -> None:
        assert self.sub_pc is not None
        mid = next(t.mid for t in self.sub_pc.getTransceivers() if t.receiver.track is track)
        self._tasks.append(asyncio.create_task(self._consume(track, mid)))

    async def _consume(self, track: MediaStreamTrack, mid: str | None) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            publisher = self.mids.get(mid or "", "?")
            if isinstance(frame, av.VideoFrame):
                self.colours[publisher][classify(frame)] += 1
                self.first_frame_at.setdefault(publisher, time.monotonic())
            else:
                self.audio_frames[publisher] += 1

    def video_frames_from(self, publisher: str) -> int:
        return sum(self.colours.get(publisher, Counter()).values())

    async def close(self) -> None:
        # Its answers go over socket.io calls (a wait_for inside): one cancel can be lost
        # on Python 3.11, and a single cancel then waited for the task for good.
        await asyncio.gather(*(stop_task(task) for task in self._tasks))
        for pc in (self.pub_pc, self.sub_pc, self.screen_pc, *self._retired):
            if pc is not None:
                await pc.close()


class Harness:
    """An SfuService with one room and test peers wired to its emit callback."""

    def __init__(self, tmp_path: Path, **settings: Any) -> None:
        self.room = "room-1"
        self.peers: dict[str, Peer] = {}
        settings.setdefault("keyframe_window_s", 0.1)
        self.config = SfuConfig(recordings_dir=tmp_path / "recordings", **settings)
        self.sfu = SfuService(self.config, self._emit)

    async def _emit(self, room_id: str, pid: str, event: dict[str, Any]) -> None:
        peer = self.peers.get(pid)
        if peer is not None:
            peer.emitted(event)

    def peer(self, pid: str) -> Peer:
        peer = self.peers[pid] = Peer(self, pid)
        return peer

    async def joined(self, pid: str, colour: str | None, **publish: Any) -> Peer:
        """A peer that joined and (if colour or audio) publishes."""
        peer = self.peer(pid)
        await peer.join()
        await peer.publish(colour, **publish)
        return peer

    async def close(self) -> None:
        for peer in self.peers.values():
            await peer.close()
        await self.sfu.close()


async def eventually(check: Callable[[], bool], limit_s: float = 30.0, what: str = "") -> None:
    """Wait until `check()` holds; fail after a generous timeout (never a timed assertion)."""
    deadline = time.monotonic() + limit_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.05)


FANOUT_PATHS = ["python", "native"] if native.AVAILABLE else ["python"]
"""Every SFU test runs on both egress paths (`sfu.native`): pure Python and the C extension."""


@pytest.fixture(autouse=True, params=FANOUT_PATHS)
def fanout_path(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test with the per-leg loop in Python or in C (the test id says which)."""
    path: str = request.param
    saved = "native" if native.NATIVE else "python"
    native.use(path)
    try:
        yield path
    finally:
        native.use(saved)


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(tmp_path)
    try:
        yield h
    finally:
        await h.close()
