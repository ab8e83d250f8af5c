"""The native fan-out (sfu/native/_fanout.c) does what the Python legs do, byte for byte.

Two legs with the same state, one written by `DownTrack.write` in Python, one
by the C loop, get the same packet stream (a keyframe start after a wrap of
the sequence number, padding, marker bits, late and old packets, a mute, an
audio-level extension); what reaches the wire must be the same SRTP bytes,
NACK answers included. The native session is checked against aiortc's
(pylibsrtp) for every SRTP profile aiortc can negotiate.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import struct
from collections.abc import AsyncIterator, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from aiortc import RTCPeerConnection
from aiortc.rtp import RTCP_RTPFB_NACK, RtcpRtpfbPacket, RtpPacket
from pylibsrtp import Policy, Session

from sfu import native
from sfu.aiortc_internals import rtp_sender, srtp
from sfu.downtrack import KEYFRAME_CROSSING_S, NACK_RESEND_INTERVAL_S, DownTrack, ParkedTrack
from sfu.payloads import keyframe_detector, vp8_ids
from tests.sfu.conftest import Harness, client_pc, eventually

pytestmark = pytest.mark.skipif(not native.AVAILABLE, reason="native fan-out not built")

PROFILES = {
    Policy.SRTP_PROFILE_AES128_CM_SHA1_80: 30,
    Policy.SRTP_PROFILE_AEAD_AES_128_GCM: 28,
    Policy.SRTP_PROFILE_AEAD_AES_256_GCM: 44,
}
CONNECTED = object()


def aiortc_session(profile: int, key: bytes, inbound: bool = False) -> Session:
    """aiortc's transmit (or receive) session for `key` (the policy of
    RTCDtlsTransport._setup_srtp)."""
    ssrc_type = Policy.SSRC_ANY_INBOUND if inbound else Policy.SSRC_ANY_OUTBOUND
    policy = Policy(key=key, ssrc_type=ssrc_type, srtp_profile=profile)
    policy.allow_repeat_tx = True
    policy.window_size = 1024
    return Session(policy)


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_native_session_protects_exactly_like_aiortcs(profile: int) -> None:
    key = os.urandom(PROFILES[profile])
    ours, theirs = native.Session(profile, key), aiortc_session(profile, key)
    for seq in range(65530, 65536 + 40):  # across a rollover of the sequence number
        packet = struct.pack("!BBHII", 0x80, 96, seq & 0xFFFF, seq * 3000, 1234) + os.urandom(900)
        assert ours.protect(packet) == theirs.protect(packet)


class PythonWire:
    """The Python leg's sink: aiortc's session, recording what would go out."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.sent: list[bytes] = []

    def ready(self) -> bool:
        return True

    def send(self, data: bytes) -> bool:
        self.sent.append(self.session.protect(data))
        return True


class Pair:
    """A Python leg and a native leg in the same state, fed the same packets."""

    def __init__(self, py: DownTrack, c: DownTrack, profile: int) -> None:
        key = os.urandom(PROFILES[profile])
        self.py, self.c = py, c
        self.wire = PythonWire(aiortc_session(profile, key))
        py._sink = self.wire  # type: ignore[assignment]
        self.rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rx.bind(("127.0.0.1", 0))
        self.rx.settimeout(2)
        self.tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.tx.bind(("127.0.0.1", 0))
        self.holder = SimpleNamespace(state=CONNECTED)
        sink = native.Sink(self.holder, "state", CONNECTED, None)
        port = self.rx.getsockname()[1]
        sink.set_route(native.Session(profile, key), None, None, self.tx, "127.0.0.1", port)
        sink.set_report(srtp.sender_report_fields(c.transceiver.sender), srtp.REPORT_KEYS)
        c._sink = sink  # type: ignore[assignment]
        for attr in ("_leg_ssrc", "_ts_offset", "_last_out_seq"):
            setattr(c, attr, getattr(py, attr))
        self.received: list[bytes] = []

    def write(self, packet: RtpPacket) -> None:
        native.python_fan_out(packet, [self.py])
        native.native_fan_out(packet, [self.c])

    def drain(self) -> list[bytes]:
        """Everything the native leg put on the wire so far."""
        self.rx.setblocking(False)
        try:
            while True:
                self.received.append(self.rx.recv(4096))
        except BlockingIOError:
            pass
        return self.received

    def close(self) -> None:
        self.rx.close()
        self.tx.close()


@pytest.fixture
async def pcs() -> AsyncIterator[list[RTCPeerConnection]]:
    made: list[RTCPeerConnection] = []
    yield made
    for pc in made:
        await pc.close()


async def make_leg(
    pcs: list[RTCPeerConnection], kind: str, layers: int = 1, vp8_ids: bool = False
) -> DownTrack:
    pc = client_pc()
    pcs.append(pc)
    transceiver = pc.addTransceiver(ParkedTrack(kind), direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    leg = DownTrack(
        publisher_id="ann",
        subscriber_id="bob",
        transceiver=transceiver,
        is_keyframe=keyframe_detector("video/vp8") if kind == "video" else None,
        request_keyframe=lambda _layer: None,
        history_size=512,
        layers=layers,
        vp8_ids=vp8_ids,
    )
    leg.activate()
    return leg


def vp8(seq: int, ts: int, *, key: bool, start: bool = True, size: int = 1000) -> RtpPacket:
    packet = RtpPacket(payload_type=96, sequence_number=seq & 0xFFFF, timestamp=ts)
    descriptor = 0x10 if start else 0x00
    packet.payload = bytes([descriptor, 0x00 if key else 0x01]) + os.urandom(size)
    return packet


SWITCHES = {25: ("select", 0), 50: ("select", 1), 70: ("drop", 0), 90: ("select", 2)}
"""Layer moves of the simulcast tests, by frame: three switches at a keyframe, one drop."""


def move_layers(frame: int, legs: tuple[DownTrack, ...]) -> None:
    """Make `SWITCHES`' move of `frame` (if any) on every leg alike."""
    if frame in SWITCHES:
        how, layer = SWITCHES[frame]
        for leg in legs:
            leg.select_layer(layer) if how == "select" else leg.drop_to_layer(layer)


def report(leg: DownTrack) -> list[Any]:
    fields = srtp.sender_report_fields(leg.transceiver.sender)
    return [fields.get(k) for k in srtp.REPORT_KEYS[1:]]


@pytest.fixture(params=sorted(PROFILES))
def profile(request: pytest.FixtureRequest) -> Iterator[int]:
    value: int = request.param
    yield value


async def test_video_legs_send_the_same_bytes_on_both_paths(
    pcs: list[RTCPeerConnection], profile: int
) -> None:
    pair = Pair(await make_leg(pcs, "video"), await make_leg(pcs, "video"), profile)
    for leg in (pair.py, pair.c):
        leg._abs_id = None  # the send time is the clock's: compared on its own below
    try:
        stream: list[RtpPacket] = []
        seq, ts = 65_500, 4_000_000_000
        stream += [vp8(seq + i, ts, key=False) for i in range(3)]  # no start before a keyframe
        seq += 3
        for frame in range(60):
            ts = (ts + 3000) & 0xFFFFFFFF
            for part in range(3):
                p = vp8(seq, ts, key=frame % 20 == 0, start=part == 0, size=300 + 400 * part)
                p.marker = int(part == 2)
                if frame == 7 and part == 1:
                    p.padding_size = 17
                stream.append(p)
                seq += 1
        stream.append(vp8(seq - 30, ts, key=False))  # a late packet inside the window
        stream.append(vp8(65_400, ts, key=False))  # older than the leg's start: dropped
        for i, packet in enumerate(stream):
            if i == 50:
                for leg in (pair.py, pair.c):
                    leg.pause()  # muted: nothing; resumed: restarts on the next keyframe
            if i == 70:
                for leg in (pair.py, pair.c):
                    leg.resume()
            pair.write(packet)

        received = await _eventually_received(pair, len(pair.wire.sent))
        assert len(pair.wire.sent) > 100
        assert received == pair.wire.sent
        assert pair.c._history == pair.py._history
        assert (pair.c.packets_sent, pair.c.octets_sent) == (
            pair.py.packets_sent,
            pair.py.octets_sent,
        )
        assert report(pair.c) == report(pair.py)
        # What a simulcast layer switch continues from: the last sequence and RTP time sent.
        assert (pair.c._last_out_seq, pair.c._last_out_ts) == (
            pair.py._last_out_seq,
            pair.py._last_out_ts,
        )
        assert pair.c._resends == pair.py._resends

        # NACKs: the retransmissions are the very bytes first sent, on both paths.
        seqs = [struct.unpack_from("!H", d, 2)[0] for d in pair.wire.sent]
        lost = seqs[-40:-30]
        latest = dict(zip(seqs, pair.wire.sent, strict=True))  # a late duplicate replaces
        first_sent = [latest[s] for s in lost]
        before = len(pair.wire.sent)
        nack = RtcpRtpfbPacket(fmt=RTCP_RTPFB_NACK, ssrc=1, media_ssrc=pair.py._leg_ssrc)
        nack.lost = lost
        for leg in (pair.py, pair.c):
            assert await leg._on_rtcp(nack)
        again = await _eventually_received(pair, before + len(lost))
        assert pair.wire.sent[before:] == first_sent
        assert again[before:] == first_sent
        assert pair.c.nacks_answered == pair.py.nacks_answered == len(lost)
    finally:
        pair.close()


async def test_simulcast_legs_forward_their_layer_in_c_and_switch_like_python(
    pcs: list[RTCPeerConnection], profile: int
) -> None:
    # Before, every simulcast leg (groups of 3 or more: IMR's usual case) took the
    # Python path whole. Now a leg forwarding a packet's layer is written in C; a leg
    # switching to that layer goes through DownTrack.write, which waits for the new
    # layer's keyframe and carries the numbering over; the other legs skip the packet.
    pair = Pair(
        await make_leg(pcs, "video", layers=3), await make_leg(pcs, "video", layers=3), profile
    )
    for leg in (pair.py, pair.c):
        leg._abs_id = None
    in_python = 0
    write = pair.c.write

    def counted(packet: RtpPacket, layer: int = 0) -> None:
        nonlocal in_python
        in_python += 1
        write(packet, layer)

    pair.c.write = counted  # type: ignore[method-assign]  # what C hands to Python
    seqs = [100, 30_000, 65_000]  # each layer its own sequence space and RTP clock
    stamps = [1_000, 2_000_000, 4_000_000_000]
    try:
        for frame in range(120):
            move_layers(frame, (pair.py, pair.c))
            for layer in range(3):
                stamps[layer] = (stamps[layer] + 3000) & 0xFFFFFFFF
                # Keyframes every 10 frames, at a different frame on each layer.
                key = frame % 10 == 3 * layer
                for part in range(2 + layer):
                    p = vp8(seqs[layer], stamps[layer], key=key, start=part == 0, size=200)
                    p.ssrc = 1000 + layer
                    p.marker = int(part == 1 + layer)
                    seqs[layer] += 1
                    native.python_fan_out(p, [pair.py], layer)
                    native.native_fan_out(p, [pair.c], layer)
            pair.drain()  # read as it comes: the socket's buffer holds about 200 of them

        received = await _eventually_received(pair, len(pair.wire.sent))
        assert len(received) == len(pair.wire.sent) > 150
        # Three switches at a keyframe; the drop stops at once and starts afresh instead.
        assert pair.c.layer_switches == pair.py.layer_switches == 3
        assert (pair.c.layer, pair.c.packets_sent) == (pair.py.layer, pair.py.packets_sent)

        def header(data: bytes | None) -> tuple[bytes, int, bytes] | None:
            # The RTP time after a switch continues from the wall clock: equal to the tick.
            if data is None:
                return None
            return data[:4], struct.unpack_from("!I", data, 4)[0], data[8:]

        for ours, theirs in zip(pair.c._history, pair.py._history, strict=True):
            a, b = header(ours), header(theirs)
            if a is None or b is None:
                assert a == b
                continue
            assert (a[0], a[2]) == (b[0], b[2])
            assert abs(a[1] - b[1]) <= 90, "RTP time within a millisecond"
        # Only the starts and switches went through Python: each keyframe waited for.
        assert in_python < pair.c.packets_sent / 4, (in_python, pair.c.packets_sent)
    finally:
        pair.close()


async def test_picture_ids_run_on_across_layer_switches_alike_in_c_and_python(
    pcs: list[RTCPeerConnection], profile: int
) -> None:
    # Each layer's encoder numbers its pictures (and TL0PICIDX) from its own start; a
    # simulcast VP8 leg renumbers them so they go up by one a frame whatever layer it
    # forwards (see DownTrack._vp8_ids). The low layer writes 7-bit picture IDs below
    # 128 (as aiortc does): the leg widens them to 15 bits.
    pair = Pair(
        await make_leg(pcs, "video", layers=3, vp8_ids=True),
        await make_leg(pcs, "video", layers=3, vp8_ids=True),
        profile,
    )
    for leg in (pair.py, pair.c):
        leg._abs_id = None
    seqs, stamps = [100, 30_000, 65_000], [1_000, 2_000_000, 4_000_000_000]
    pictures, tl0s = [60, 32_700, 5_000], [250, 10, 128]  # 7-bit, a wrap, 15-bit
    try:
        for frame in range(120):
            move_layers(frame, (pair.py, pair.c))
            for layer in range(3):
                stamps[layer] = (stamps[layer] + 3000) & 0xFFFFFFFF
                pid = pictures[layer]
                pid_field = bytes([pid]) if pid < 128 else (0x8000 | pid).to_bytes(2, "big")
                for part in range(2 + layer):
                    p = RtpPacket(payload_type=96, sequence_number=seqs[layer] & 0xFFFF)
                    p.timestamp, p.ssrc, p.marker = (
                        stamps[layer],
                        1000 + layer,
                        int(part == 1 + layer),
                    )
                    start = 0x10 if part == 0 else 0x00
                    key = frame % 10 == 3 * layer
                    descriptor = bytes([0x80 | start, 0xC0]) + pid_field + bytes([tl0s[layer]])
                    p.payload = descriptor + bytes([0x00 if key else 0x01]) + os.urandom(150)
                    seqs[layer] += 1
                    native.python_fan_out(p, [pair.py], layer)
                    native.native_fan_out(p, [pair.c], layer)
                pictures[layer] = (pid + 1) & 0x7FFF
                tl0s[layer] = (tl0s[layer] + 1) & 0xFF
            pair.drain()

        received = await _eventually_received(pair, len(pair.wire.sent))
        assert len(received) == len(pair.wire.sent) > 150
        assert pair.c.layer_switches == pair.py.layer_switches == 3
        assert (pair.c._last_pic, pair.c._last_tl0) == (pair.py._last_pic, pair.py._last_tl0)
        assert pair.c.octets_sent == pair.py.octets_sent

        def sent_in_order(leg: DownTrack) -> list[bytes]:
            sent = [d for d in leg._history if d is not None]
            first = leg._last_out_seq - len(sent) + 1
            return sorted(sent, key=lambda d: (struct.unpack_from("!H", d, 2)[0] - first) & 0xFFFF)

        py_sent, c_sent = sent_in_order(pair.py), sent_in_order(pair.c)
        assert [d[:4] + d[8:] for d in c_sent] == [d[:4] + d[8:] for d in py_sent]
        starts = []
        for data in py_sent:
            payload = RtpPacket.parse(data).payload
            if payload[0] & 0x10:  # the first packet of a frame
                starts.append(vp8_ids(payload))
        assert len(starts) > 100  # all but those before the first keyframe and after the drop
        assert all(b[0] == (a[0] + 1) & 0x7FFF for a, b in itertools.pairwise(starts)), starts
        assert all(b[1] == (a[1] + 1) & 0xFF for a, b in itertools.pairwise(starts)), starts
    finally:
        pair.close()


async def test_audio_levels_are_rewritten_the_same_way(pcs: list[RTCPeerConnection]) -> None:
    pair = Pair(await make_leg(pcs, "audio"), await make_leg(pcs, "audio"), 1)
    pair.py._level_id = pair.c._level_id = 1  # as if the subscriber negotiated audio level
    try:
        for i in range(40):
            packet = RtpPacket(payload_type=111, sequence_number=i, timestamp=960 * i)
            packet.payload = os.urandom(80)
            if i % 3:
                packet.extensions.audio_level = (i % 2 == 0, i)
            pair.write(packet)
        received = await _eventually_received(pair, 40)
        assert received == pair.wire.sent
        assert any(d[0] & 0x10 for d in pair.c._history if d)  # the extension is there
    finally:
        pair.close()


async def test_abs_send_time_is_the_send_clock_and_the_rest_matches(
    pcs: list[RTCPeerConnection],
) -> None:
    pair = Pair(await make_leg(pcs, "video"), await make_leg(pcs, "video"), 1)
    assert pair.c._abs_id is not None  # offered by aiortc for video
    try:
        for i in range(5):
            pair.write(vp8(100 + i, 9000 * i, key=i == 0))
        await _eventually_received(pair, 5)
        prefix = len(pair.c._ext_prefix) + 12
        for a, b in zip(pair.c._history[:], pair.py._history[:], strict=True):
            if a is None:
                assert b is None
                continue
            assert a[:prefix] == b[:prefix] and a[prefix + 3 :] == b[prefix + 3 :]
            ours, theirs = (int.from_bytes(x[prefix : prefix + 3], "big") for x in (a, b))
            assert abs(ours - theirs) < 2**18 // 10  # 6.18 fixed point seconds: within 0.1 s
    finally:
        pair.close()


async def _eventually_received(pair: Pair, count: int) -> list[bytes]:
    await eventually(lambda: len(pair.drain()) >= count, 10, f"{count} datagrams")
    return pair.drain()


async def test_live_forwarding_goes_through_native_sinks(
    harness: Harness, fanout_path: str
) -> None:
    ann = await harness.joined("ann", "red")
    bob = harness.peer("bob")
    await bob.join()
    await eventually(lambda: bob.video_frames_from("ann") >= 30, what="bob decodes ann")
    assert set(bob.colours["ann"]) == {"red"}
    room = harness.sfu._rooms[harness.room]
    legs = [leg for fwd in room.participants["ann"].forwarders.values() for leg in fwd.legs]
    assert legs
    native_legs = [leg for leg in legs if isinstance(leg._sink, native.Sink)]
    if fanout_path == "native":
        assert native_legs == legs
        sent = sum(leg._sink.stats()[0] for leg in native_legs)  # type: ignore[attr-defined]
        assert sent >= 30
    else:
        assert not native_legs
    del ann
    # The seam's keys are aiortc's: both sessions protect a packet to the same bytes.
    dtls = rtp_sender.sender_dtls(legs[0].transceiver.sender)
    keying = srtp.outbound_keying(dtls)
    assert keying is not None
    probe = struct.pack("!BBHII", 0x80, 96, 7, 7, 0x0BADCAFE) + os.urandom(500)
    assert native.Session(*keying).protect(probe) == dtls._tx_srtp.protect(probe)


async def test_a_profile_native_srtp_cannot_do_falls_back_to_aiortcs_session(
    harness: Harness, fanout_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if fanout_path != "native":
        pytest.skip("native path only")

    def unsupported(dtls: Any) -> Any:
        raise ValueError("SRTP profile 99 is not supported")

    monkeypatch.setattr(native, "_session_for", unsupported)
    await harness.joined("ann", "green")
    bob = harness.peer("bob")
    await bob.join()
    await eventually(lambda: bob.video_frames_from("ann") >= 30, what="bob decodes ann")
    assert set(bob.colours["ann"]) == {"green"}
    room = harness.sfu._rooms[harness.room]
    legs = [leg for fwd in room.participants["ann"].forwarders.values() for leg in fwd.legs]
    assert legs and not any(isinstance(leg._sink, native.Sink) for leg in legs)


# ------------------------------------------------------------------ ingress


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_native_inbound_session_unprotects_exactly_like_aiortcs(profile: int) -> None:
    key = os.urandom(PROFILES[profile])
    sender = aiortc_session(profile, key)
    ours, theirs = (
        native.Session(profile, key, inbound=True),
        aiortc_session(profile, key, inbound=True),
    )
    for seq in range(65500, 65536 + 40):  # across a rollover of the sequence number
        packet = struct.pack("!BBHII", 0x80, 96, seq & 0xFFFF, seq * 3000, 99) + os.urandom(900)
        protected = sender.protect(packet)
        assert ours.unprotect(protected) == theirs.unprotect(protected) == packet
    tampered = bytearray(sender.protect(struct.pack("!BBHII", 0x80, 96, 40, 0, 99) + bytes(50)))
    tampered[20] ^= 1
    with pytest.raises(ValueError):
        ours.unprotect(bytes(tampered))  # aiortc's refuses it too: dropped on both paths
    assert ours.unprotect_failures() == 1


@pytest.fixture
def sockets() -> Iterator[tuple[socket.socket, socket.socket, socket.socket]]:
    """The SFU's socket, the publisher's, and a stranger's (all loopback UDP)."""
    made = []
    for _ in range(3):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        made.append(s)
    made[0].setblocking(False)
    yield made[0], made[1], made[2]
    for s in made:
        s.close()


def test_receive_unprotects_the_peers_media_and_hands_up_everything_else(
    sockets: tuple[socket.socket, socket.socket, socket.socket],
) -> None:
    sfu, peer, stranger = sockets
    key = os.urandom(30)
    profile = Policy.SRTP_PROFILE_AES128_CM_SHA1_80
    tx = aiortc_session(profile, key)
    session = native.Session(profile, key, inbound=True)
    to = sfu.getsockname()
    rtp = [struct.pack("!BBHII", 0x80, 96, s, s, 5) + bytes([s]) * 300 for s in range(1, 4)]
    stun = bytes([0, 1, 0, 0]) + bytes(16)
    rtcp = tx.protect_rtcp(struct.pack("!BBHI", 0x80, 200, 6, 5) + bytes(20))
    forged = bytearray(tx.protect(rtp[0][:2] + b"\x00\x09" + rtp[0][4:]))
    forged[-1] ^= 0xFF
    peer.sendto(tx.protect(rtp[0]), to)
    peer.sendto(stun, to)
    peer.sendto(rtcp, to)
    peer.sendto(bytes(forged), to)  # fails authentication: dropped, like aiortc drops it
    stolen = tx.protect(rtp[1])
    stranger.sendto(stolen, to)  # right keys, wrong source: up to the Python guard, untouched
    peer.sendto(tx.protect(rtp[2]), to)
    peer.sendto(b"", to)
    host, port = peer.getsockname()
    got = native._fanout.receive(sfu.fileno(), session, host, port, 32)
    assert got == [
        rtp[0],
        (stun, (host, port)),
        (rtcp, (host, port)),
        (stolen, stranger.getsockname()),
        rtp[2],
        (b"", (host, port)),
    ]
    assert native._fanout.receive(sfu.fileno(), session, host, port, 32) == []  # nothing waiting
    peer.sendto(tx.protect(struct.pack("!BBHII", 0x80, 96, 9, 9, 5)), to)
    assert native._fanout.receive(sfu.fileno(), None, None, 0, 32)[0][1] == (host, port)


def test_receive_takes_at_most_a_batch(
    sockets: tuple[socket.socket, socket.socket, socket.socket],
) -> None:
    sfu, peer, _ = sockets
    for i in range(native._fanout.RECV_BATCH + 5):
        peer.sendto(bytes([0, 1, 0, i]), sfu.getsockname())
    first = native._fanout.receive(sfu.fileno(), None, None, 0, 1000)
    rest = native._fanout.receive(sfu.fileno(), None, None, 0, 1000)
    assert (len(first), len(rest)) == (native._fanout.RECV_BATCH, 5)
    assert [d[3] for d, _ in first + rest] == list(range(native._fanout.RECV_BATCH + 5))


async def test_live_publishers_media_takes_the_native_ingress_path(
    harness: Harness, fanout_path: str
) -> None:
    ann = await harness.joined("ann", "red")
    bob = harness.peer("bob")
    await bob.join()
    await eventually(lambda: bob.video_frames_from("ann") >= 30, what="bob decodes ann")
    assert set(bob.colours["ann"]) == {"red"}
    publishing = harness.sfu._rooms[harness.room].participants["ann"].pub_pc
    assert publishing is not None
    dtls = publishing.getTransceivers()[0].receiver.transport
    if fanout_path == "native":
        assert native.ingress_packets(dtls) >= 30
        # The native inbound session holds aiortc's receive keys.
        keying = srtp.inbound_keying(dtls)
        assert keying is not None
        assert native._inbound[dtls][1].profile == keying.profile
    else:
        assert native.ingress_packets(dtls) == 0
    del ann


async def test_a_leg_dropped_to_a_lower_layer_repairs_the_old_one_only_after_the_keyframe(
    pcs: list[RTCPeerConnection], profile: int
) -> None:
    """Chromium NACKs the top-layer packets a link that fell to 250 kbit/s lost. They were
    resent after the leg had dropped to the low layer, so repairs of a layer it had left
    filled the bottleneck again, the low layer's keyframe was lost in it, and Chromium
    showed the low layer seconds late. Until the keyframe is across only packets sent
    since the drop are repaired; then the old ones are again (aiortc's receiver waits at
    a hole until its buffer overflows: never repaired, the picture froze 12 s)."""
    pair = Pair(
        await make_leg(pcs, "video", layers=3), await make_leg(pcs, "video", layers=3), profile
    )
    seqs, stamps = {0: 100, 2: 40_000}, {0: 1_000, 2: 2_000_000}

    def send(layer: int, frames: int) -> None:
        for frame in range(frames):
            stamps[layer] += 3000
            p = vp8(seqs[layer], stamps[layer], key=frame == 0, size=200)
            p.ssrc, p.marker = 1000 + layer, 1
            seqs[layer] += 1
            native.python_fan_out(p, [pair.py], layer)
            native.native_fan_out(p, [pair.c], layer)

    def out_seqs(sent: list[bytes]) -> list[int]:
        return [struct.unpack_from("!H", d, 2)[0] for d in sent]

    try:
        send(2, 20)
        top = out_seqs(pair.wire.sent)
        for leg in (pair.py, pair.c):
            leg.drop_to_layer(0)
        send(0, 10)
        low = out_seqs(pair.wire.sent)[len(top) :]
        assert len(top) == 20 and len(low) == 10
        native_before = len(await _eventually_received(pair, 30))
        python_before = len(pair.wire.sent)
        nack = RtcpRtpfbPacket(fmt=RTCP_RTPFB_NACK, ssrc=1, media_ssrc=pair.py._leg_ssrc)
        nack.lost = top[-10:] + low[-5:]
        for leg in (pair.py, pair.c):
            assert await leg._on_rtcp(nack)
        assert out_seqs(pair.wire.sent[python_before:]) == low[-5:]
        resent = await _eventually_received(pair, native_before + 5)
        await asyncio.sleep(0.2)  # nothing more comes
        assert out_seqs(pair.drain()[native_before:]) == low[-5:] == out_seqs(resent[-5:])

        await asyncio.sleep(KEYFRAME_CROSSING_S + NACK_RESEND_INTERVAL_S)
        python_before, native_before = len(pair.wire.sent), len(pair.drain())
        nack.lost = top[-10:]
        for leg in (pair.py, pair.c):
            assert await leg._on_rtcp(nack)
        assert out_seqs(pair.wire.sent[python_before:]) == top[-10:]
        resent = await _eventually_received(pair, native_before + 10)
        assert out_seqs(resent[native_before:]) == top[-10:]
    finally:
        pair.close()
