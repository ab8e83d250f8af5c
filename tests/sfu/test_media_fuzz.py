"""Mutated RTP, RTCP, STUN and DTLS datagrams at a live room's SFU ports, and keyframe floods.

Three aiortc participants publish and watch each other. Datagrams go to every
port the SFU offered them as ICE candidates, from three kinds of sender:

- ``exact``: the victim's own 5-tuple. The test owns the victim's aiortc peer, so
  it writes into that peer's nominated ICE socket (binding the same port again is
  not possible: aioice binds without SO_REUSEPORT). This is what an attacker who
  can spoof the victim's source address and port would produce.
- ``same_ip``: the victim's address (127.0.0.1) from other ports (new sockets).
- ``other_ip``: other loopback addresses (127.0.0.2 ...), as someone elsewhere.

Nobody may lose a transport and everyone keeps decoding everyone. A subscriber
flooding PLIs and FIRs gets at most one keyframe request per ``KEYFRAME_GAP_S``
per track to the publisher. ``bench/media_fuzz.py`` runs the same at 10^6 datagrams.
"""

from __future__ import annotations

import asyncio
import fcntl
import itertools
import logging
import random
import re
import socket
import struct
import termios
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aioice import stun
from aiortc import RTCPeerConnection
from aiortc.rtp import RTCP_PSFB_FIR, RTCP_PSFB_PLI, RtcpPsfbPacket

from sfu import SfuConfig
from tests.sfu.conftest import Harness, Peer, eventually

KEYFRAME_GAP_S = 0.5
"""At most one keyframe request per track goes upstream in this long."""
DELIVERY_JITTER_S = 0.05
Address = tuple[str, int]
KINDS = ("rtp", "rtcp", "stun", "dtls", "replay", "flip", "short", "noise")


def candidate_addresses(sdp: str) -> set[Address]:
    """The UDP host candidates an SDP offers."""
    found = re.findall(r"a=candidate:\S+ \d+ udp \d+ (\S+) (\d+) typ host", sdp, re.I)
    return {(ip, int(port)) for ip, port in found}


def sdp_ssrcs(sdp: str) -> set[int]:
    """Every SSRC an SDP names."""
    return {int(s) for s in re.findall(r"a=ssrc:(\d+) ", sdp)}


def ice_ufrags(sdp: str) -> set[str]:
    """The ICE user fragments in an SDP (on-path observers see these too)."""
    return set(re.findall(r"a=ice-ufrag:(\S+)", sdp))


def client_pcs(peer: Peer) -> list[RTCPeerConnection]:
    """A test participant's connections."""
    return [pc for pc in (peer.pub_pc, peer.sub_pc) if pc is not None]


def nominated_socket(pc: RTCPeerConnection) -> tuple[asyncio.DatagramTransport, Address]:
    """The UDP socket a connection's media flows through and the SFU address it sends to."""
    ice = pc.getTransceivers()[0].sender.transport.transport
    pair = ice._connection._nominated[1]
    return pair.protocol.transport, pair.remote_addr


def queued_bytes(sock: socket.socket) -> int:
    """Bytes of the next datagram waiting in `sock` (0: none queued)."""
    return int.from_bytes(fcntl.ioctl(sock.fileno(), termios.FIONREAD, bytes(4)), "little")


def dtls_states(pcs: list[RTCPeerConnection]) -> Counter[str]:
    """How many DTLS transports are in each state (one per bundled connection)."""
    states: Counter[str] = Counter()
    for pc in pcs:
        transports = {id(t.sender.transport): t.sender.transport for t in pc.getTransceivers()}
        states.update(t.state for t in transports.values())
    return states


@dataclass
class Knowledge:
    """What an on-path attacker could know: addresses, SSRCs, ICE user fragments, packets seen."""

    targets: list[Address]
    ssrcs: list[int]
    ufrags: list[str]
    seen: list[bytes] = field(default_factory=list)


class Mutator:
    """Makes datagrams of each kind, well-formed enough to reach the parser they aim at."""

    def __init__(self, rng: random.Random, knowledge: Knowledge) -> None:
        self.rng = rng
        self.k = knowledge

    def make(self, kind: str) -> bytes:
        """One datagram of ``kind`` (one of ``KINDS``)."""
        made: bytes = getattr(self, f"_{kind}")()
        return made

    def _bytes(self, low: int, high: int) -> bytes:
        return self.rng.randbytes(self.rng.randint(low, high))

    def _ssrc(self) -> int:
        r = self.rng
        return r.choice(self.k.ssrcs) if self.k.ssrcs and r.random() < 0.7 else r.getrandbits(32)

    def _rtp(self) -> bytes:
        r = self.rng
        first = 0x80 | r.getrandbits(6)  # version 2; padding, extension, CSRC count at random
        second = r.getrandbits(8) & 0xFF
        if 192 <= second < 224:  # keep it RTP, not RTCP, to reach the RTP path
            second ^= 0x40
        header = struct.pack(
            "!BBHII", first, second, r.getrandbits(16), r.getrandbits(32), self._ssrc()
        )
        return header + self._bytes(0, 1200)

    def _rtcp(self) -> bytes:
        r = self.rng
        packets = b""
        for _ in range(r.randint(1, 3)):
            body = self._bytes(0, 64)
            words = len(body) // 4 + 1 if r.random() < 0.7 else r.getrandbits(16)
            pt = r.choice((200, 201, 202, 203, 204, 205, 206, 207))
            packets += struct.pack("!BBHI", 0x80 | r.getrandbits(5), pt, words, self._ssrc()) + body
        # SRTCP: E flag and index, then a (wrong) 10-byte tag.
        return packets + struct.pack("!I", r.getrandbits(32)) + self._bytes(0, 10)

    def _stun(self) -> bytes:
        r = self.rng
        message = stun.Message(
            message_method=r.choice(list(stun.Method)),
            message_class=r.choice(list(stun.Class)),
            transaction_id=r.randbytes(12),
        )
        attrs = message.attributes
        if r.random() < 0.8 and self.k.ufrags:
            attrs["USERNAME"] = f"{r.choice(self.k.ufrags)}:{r.choice(self.k.ufrags)}"
        if r.random() < 0.5:
            attrs["PRIORITY"] = r.getrandbits(32)
        if r.random() < 0.5:
            attrs[r.choice(("ICE-CONTROLLING", "ICE-CONTROLLED"))] = r.getrandbits(64)
        if r.random() < 0.3:
            attrs["USE-CANDIDATE"] = None
        if r.random() < 0.3:
            attrs["XOR-MAPPED-ADDRESS"] = ("127.0.0.1", r.randint(1, 65535))
        if r.random() < 0.3:
            attrs["ERROR-CODE"] = (r.choice((400, 401, 487, 500)), "x")
        try:
            raw = bytes(message)
        except (ValueError, struct.error, TypeError):
            raw = bytes(stun.Message(stun.Method.BINDING, stun.Class.REQUEST))
        if r.random() < 0.8:
            # A MESSAGE-INTEGRITY nobody can compute without the ICE password.
            raw = raw[:2] + struct.pack("!H", len(raw) - 20 + 24) + raw[4:]
            raw += struct.pack("!HH", 0x0008, 20) + r.randbytes(20)
        return self._flip(raw, bits=r.choice((0, 0, 1, 3)))

    def _dtls(self) -> bytes:
        r = self.rng
        content = r.choice((20, 21, 22, 23, 24, 25, r.randint(20, 63)))
        version = r.choice((0xFEFD, 0xFEFF, 0xFEFC, r.getrandbits(16)))
        epoch = r.choice((0, 1, 2, r.getrandbits(16)))
        if content == 21 and r.random() < 0.5:
            body = bytes((r.choice((1, 2)), r.choice((0, 10, 20, 40, 42, 48, 80))))  # alerts
        elif content == 22 and r.random() < 0.5:
            # A handshake message: type, length, message_seq, fragment offset and length.
            fragment = self._bytes(0, 300)
            size = len(fragment)
            body = (
                bytes((r.choice((0, 1, 2, 3, 11, 12, 14, 15, 16, 20)),))
                + size.to_bytes(3, "big")
                + r.getrandbits(16).to_bytes(2, "big")
                + b"\0\0\0"
                + size.to_bytes(3, "big")
                + fragment
            )
        else:
            body = self._bytes(0, 200)
        length = len(body) if r.random() < 0.8 else r.getrandbits(16)
        record = bytes((content,)) + struct.pack("!HH", version, epoch)
        record += r.getrandbits(48).to_bytes(6, "big") + struct.pack("!H", length) + body
        return record * r.choice((1, 1, 2))

    def _seen(self) -> bytes:
        return self.rng.choice(self.k.seen) if self.k.seen else self._rtp()

    def _replay(self) -> bytes:
        return self._seen()

    def _flip(self, data: bytes | None = None, bits: int | None = None) -> bytes:
        r = self.rng
        buf = bytearray(self._seen() if data is None else data)
        for _ in range(r.randint(1, 8) if bits is None else bits):
            if buf:
                buf[r.randrange(len(buf))] ^= 1 << r.randrange(8)
        if data is None and r.random() < 0.3:
            del buf[r.randrange(len(buf) + 1) :]
        return bytes(buf)

    def _short(self) -> bytes:
        return self._bytes(0, 3)

    def _noise(self) -> bytes:
        return self._bytes(4, 1400)


class Senders:
    """Sockets for the three kinds of sender; closes what it opened."""

    def __init__(self, victim: Peer, others: int = 4) -> None:
        self.exact = [nominated_socket(pc)[0] for pc in client_pcs(victim)]
        self.same_ip: list[socket.socket] = []
        self.other_ip: list[socket.socket] = []
        for i in range(others):
            for host, into in (("127.0.0.1", self.same_ip), (f"127.0.0.{i + 2}", self.other_ip)):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sock.setblocking(False)
                sock.bind((host, 0))
                into.append(sock)

    def send(self, source: str, rng: random.Random, data: bytes, to: Address) -> None:
        """Send one datagram from a sender of ``source`` kind; ENOBUFS and the like are dropped."""
        try:
            if source == "exact":
                transport = rng.choice(self.exact)
                if not transport.is_closing():  # a torn-down victim shows in the states
                    transport.sendto(data, to)
            else:
                rng.choice(self.same_ip if source == "same_ip" else self.other_ip).sendto(data, to)
        except (BlockingIOError, OSError):
            pass

    def close(self) -> None:
        for sock in (*self.same_ip, *self.other_ip):
            sock.close()


@dataclass
class FuzzResult:
    """What a fuzz run sent and what it did to the room."""

    sent: Counter[str]
    seconds: float
    frames_before: dict[tuple[str, str], int]
    frames_after: dict[tuple[str, str], int]


def capture_outgoing(peers: list[Peer], into: list[bytes], limit: int = 400) -> Callable[[], None]:
    """Keep copies of datagrams the peers' sockets send (real SRTP, SRTCP, STUN); returns undo."""
    hooked: list[Any] = []
    for peer in peers:
        for pc in client_pcs(peer):
            transport: Any = nominated_socket(pc)[0]
            original = transport.sendto

            def sendto(data: bytes, addr: Any = None, _orig: Any = original) -> None:
                if len(into) < limit:
                    into.append(bytes(data))
                _orig(data, addr)

            transport.sendto = sendto
            hooked.append(transport)

    def restore() -> None:
        for transport in hooked:
            del transport.sendto  # the class's own method again

    return restore


def frames_seen(peers: list[Peer]) -> dict[tuple[str, str], int]:
    """Decoded video frames per (viewer, publisher)."""
    return {(p.id, q.id): p.video_frames_from(q.id) for p in peers for q in peers if p is not q}


async def room_of_three(harness: Harness) -> list[Peer]:
    """Ann, Bob and Cat publishing, each decoding the other two."""
    peers = [
        await harness.joined(name, colour)
        for name, colour in (("ann", "red"), ("bob", "green"), ("cat", "blue"))
    ]
    await eventually(
        lambda: all(n >= 5 for n in frames_seen(peers).values()), what="everyone decodes everyone"
    )
    return peers


def sfu_pcs(harness: Harness) -> list[RTCPeerConnection]:
    """The SFU's own peer connections in the test room."""
    room = harness.sfu._rooms[harness.room]
    return [pc for p in room.participants.values() for pc in p.peer_connections()]


async def fuzz(
    harness: Harness,
    peers: list[Peer],
    count: int,
    *,
    seed: int = 12,
    per_second: float = 6000,
    progress: Callable[[int], None] | None = None,
) -> FuzzResult:
    """Send ``count`` mutated datagrams at the SFU's ports of every participant."""
    rng = random.Random(seed)
    victim = peers[0]
    targets: set[Address] = set()
    ssrcs: set[int] = set()
    ufrags: set[str] = set()
    for peer in peers:
        for pc in client_pcs(peer):
            for description in (pc.remoteDescription, pc.localDescription):
                ssrcs |= sdp_ssrcs(description.sdp)
                ufrags |= ice_ufrags(description.sdp)
            targets |= candidate_addresses(pc.remoteDescription.sdp)
    knowledge = Knowledge(sorted(targets), sorted(ssrcs), sorted(ufrags))
    undo = capture_outgoing(peers, knowledge.seen)
    await eventually(lambda: len(knowledge.seen) >= 100, what="real datagrams to mutate")
    undo()
    mutator = Mutator(rng, knowledge)
    senders = Senders(victim)
    sent: Counter[str] = Counter()
    before = frames_seen(peers)
    started = time.monotonic()
    batch = 100
    try:
        for n in range(0, count, batch):
            for _ in range(min(batch, count - n)):
                kind = rng.choice(KINDS)
                source = rng.choice(("exact", "same_ip", "other_ip"))
                senders.send(source, rng, mutator.make(kind), rng.choice(knowledge.targets))
                sent[kind] += 1
                sent[source] += 1
            # Paced, so the kernel's socket buffers do not drop the room's real media.
            ahead = started + (n + batch) / per_second - time.monotonic()
            await asyncio.sleep(max(ahead, 0))
            if progress is not None:
                progress(n + batch)
    finally:
        senders.close()
    seconds = time.monotonic() - started
    after = frames_seen(peers)
    return FuzzResult(sent, seconds, before, after)


class UpstreamKeyframeRequests:
    """Counts PLIs and FIRs a publisher's connection receives, with their times."""

    def __init__(self, pc: RTCPeerConnection) -> None:
        self.times: list[float] = []
        for transceiver in pc.getTransceivers():
            if transceiver.kind != "video":
                continue
            sender = transceiver.sender
            original = sender._handle_rtcp_packet

            async def handle(packet: Any, _orig: Any = original) -> None:
                if isinstance(packet, RtcpPsfbPacket) and packet.fmt in (
                    RTCP_PSFB_PLI,
                    RTCP_PSFB_FIR,
                ):
                    self.times.append(time.monotonic())
                await _orig(packet)

            sender._handle_rtcp_packet = handle  # type: ignore[method-assign]

    def between(self, start: float, end: float) -> list[float]:
        return [t for t in self.times if start <= t <= end]


async def flood_keyframe_requests(viewer: Peer, publisher: Peer, seconds: float) -> int:
    """``viewer`` asks for keyframes of ``publisher``'s video (PLI and FIR) every 2 ms."""
    assert viewer.sub_pc is not None
    receivers = [
        t.receiver
        for t in viewer.sub_pc.getTransceivers()
        if t.kind == "video" and viewer.mids.get(t.mid or "") == publisher.id
    ]
    (receiver,) = receivers
    media_ssrc = next(iter(receiver._RTCRtpReceiver__remote_streams))  # type: ignore[attr-defined]
    sent, fir_seq = 0, 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await receiver._send_rtcp_pli(media_ssrc)
        fir_seq = (fir_seq + 1) & 0xFF
        fir = RtcpPsfbPacket(
            fmt=RTCP_PSFB_FIR,
            ssrc=receiver._RTCRtpReceiver__rtcp_ssrc,  # type: ignore[attr-defined]
            media_ssrc=0,
            fci=struct.pack("!IB3x", media_ssrc, fir_seq),
        )
        await receiver._send_rtcp(fir)
        sent += 2
        await asyncio.sleep(0.002)
    return sent


@pytest.fixture
async def live_room(tmp_path: Path) -> AsyncIterator[tuple[Harness, list[Peer]]]:
    """A room of three at the SFU's own keyframe settings (the suite's harness speeds them up)."""
    defaults = SfuConfig()
    harness = Harness(
        tmp_path,
        keyframe_window_s=defaults.keyframe_window_s,
        keyframe_retry_s=defaults.keyframe_retry_s,
    )
    try:
        yield harness, await room_of_three(harness)
    finally:
        await harness.close()


class LoopErrors(logging.Handler):
    """Collects error records (tracebacks included) logged while it is attached."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_mutated_datagrams_tear_nothing_down_and_everyone_keeps_decoding(
    live_room: tuple[Harness, list[Peer]],
) -> None:
    harness, peers = live_room
    on_sfu = sfu_pcs(harness)
    pcs = [*on_sfu, *(pc for p in peers for pc in client_pcs(p))]
    healthy = dtls_states(pcs)
    assert healthy == Counter({"connected": len(pcs)})
    errors = LoopErrors()
    logging.getLogger().addHandler(errors)
    dropped_before = harness.sfu.stats()["foreign_datagrams_dropped"]
    try:
        result = await fuzz(harness, peers, 30_000)
    finally:
        logging.getLogger().removeHandler(errors)

    assert sum(result.sent[k] for k in KINDS) == 30_000
    assert all(result.sent[source] > 5_000 for source in ("exact", "same_ip", "other_ip"))
    # DTLS and RTP from addresses that are no candidate pair's are dropped unread
    # (three kinds of four are not STUN; a mutation may turn a first byte into STUN's).
    foreign = result.sent["same_ip"] + result.sent["other_ip"]
    dropped = harness.sfu.stats()["foreign_datagrams_dropped"] - dropped_before
    assert dropped > foreign * 0.6, (dropped, foreign)
    assert dtls_states(pcs) == healthy, "a transport was torn down"
    assert [pc.connectionState for pc in pcs] == ["connected"] * len(pcs)
    assert sfu_pcs(harness) == on_sfu, "the SFU replaced a connection"
    # Everyone kept decoding everyone while it went on, and still does.
    stalled = [pair for pair, n in result.frames_after.items() if n <= result.frames_before[pair]]
    assert not stalled
    later = frames_seen(peers)
    await eventually(
        lambda: all(n >= later[pair] + 15 for pair, n in frames_seen(peers).items()),
        what="everyone still decodes everyone",
    )
    assert not [
        r.getMessage() for r in errors.records if r.exc_info or "Traceback" in r.getMessage()
    ]


async def test_a_keyframe_request_flood_reaches_the_publisher_at_most_every_half_second(
    live_room: tuple[Harness, list[Peer]],
) -> None:
    _harness, peers = live_room
    ann, bob, cat = peers
    upstream = UpstreamKeyframeRequests(ann.pub_pc)  # type: ignore[arg-type]
    started = time.monotonic()
    sent = await asyncio.gather(
        flood_keyframe_requests(bob, ann, 3.0), flood_keyframe_requests(cat, ann, 3.0)
    )
    ended = time.monotonic()
    assert sum(sent) > 1000
    during = upstream.between(started, ended + KEYFRAME_GAP_S)
    assert during, "the flood asked ann for no keyframe at all"
    # Counted where the publisher receives them: loopback delivery adds a few ms of jitter.
    gaps = [round(b - a, 3) for a, b in itertools.pairwise(during)]
    assert len(during) <= (ended - started) / KEYFRAME_GAP_S + 2, gaps
    assert min(gaps, default=KEYFRAME_GAP_S) >= KEYFRAME_GAP_S - DELIVERY_JITTER_S, gaps
    frames = frames_seen(peers)
    await eventually(
        lambda: all(n >= frames[pair] + 15 for pair, n in frames_seen(peers).items()),
        what="everyone still decodes everyone",
    )


async def test_a_replayed_packet_is_refused_whichever_path_reads_it(
    live_room: tuple[Harness, list[Peer]],
) -> None:
    """SRTP's replay check holds for every datagram of a publisher's connection.

    With native ingress, media from the nominated pair is unprotected in C and
    everything else (another socket, a datagram the batch reader hands up)
    goes through aiortc. aiortc's own receive session then never saw the media,
    so its replay window was stale and took any replayed packet as new: seen
    in bench/media_fuzz.py as 'SRTP protect failed' tracebacks when the replay
    was forwarded, and a replay reaches speaker detection and recordings.
    """
    harness, peers = live_room
    ann = peers[0]
    assert ann.pub_pc is not None
    captured: list[bytes] = []
    undo = capture_outgoing([ann], captured, limit=300)
    await eventually(lambda: len(captured) >= 300, what="ann's datagrams")
    undo()
    _, sfu_address = nominated_socket(ann.pub_pc)
    on_sfu = harness.sfu._rooms[harness.room].participants["ann"]
    [pc] = [
        pc
        for pc in on_sfu.peer_connections()
        if pc.getTransceivers()[0]
        .receiver.transport.transport._connection._nominated[1]
        .local_candidate.port
        == sfu_address[1]
    ]
    dtls: Any = pc.getTransceivers()[0].receiver.transport
    pair = dtls.transport._connection._nominated[1]
    # The last datagrams captured (as ann sent them) may still wait in the SFU's socket
    # on a busy machine: replayed before the SFU read them, a replay is the first copy
    # and the original the replay (CI: ann's last captured packets taken as new). Once
    # the socket has nothing queued, every original is ahead of the replays.
    sfu_socket = pair.protocol.transport.get_extra_info("socket")
    await eventually(lambda: not queued_bytes(sfu_socket), what="the SFU read ann's datagrams")
    replays = [d for d in captured if 127 < d[0] < 192 and not 191 < d[1] < 224]
    replayed = {
        (struct.unpack_from("!I", d, 8)[0], struct.unpack_from("!H", d, 2)[0]) for d in replays
    }
    assert len(replays) > 100

    accepted: list[tuple[int, int]] = []
    original = dtls._handle_rtp_data

    async def handle(data: bytes, arrival_time_ms: int) -> None:
        accepted.append(
            (struct.unpack_from("!I", data, 8)[0], struct.unpack_from("!H", data, 2)[0])
        )
        await original(data, arrival_time_ms)

    dtls._handle_rtp_data = handle
    try:
        for data in replays:
            pair.protocol.datagram_received(data, pair.remote_addr)
        await asyncio.sleep(0.5)
    finally:
        del dtls._handle_rtp_data
    assert not replayed & set(accepted), "replayed packets were taken as new"
