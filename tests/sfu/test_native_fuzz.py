"""Fuzz the native fan-out's entry points: no input may crash the process.

Random and garbled packets (payloads of 0..2000 bytes, wrong types, odd
padding and extension values), bad leg tables (objects that are not legs,
attributes of the wrong type or range, histories that do not fit their mask,
hooks that raise) and random bytes for `Session.protect` and `Sink.send`.
A refusal is an exception from the call (packet-level) or a call of the error
hook (leg-level, the other legs still get their packet); a crash kills pytest.

Runs briefly in the suite; `IMR_NATIVE_FUZZ_RUNS` and `IMR_NATIVE_FUZZ_SEED`
make it longer or replay a seed. Under AddressSanitizer: sfu/native/asan.sh.
Inputs that once crashed are kept in `KEPT` and replayed first.
"""

from __future__ import annotations

import os
import random
import socket
import struct
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from sfu import native
from sfu.payloads import rewrite_vp8_ids

pytestmark = pytest.mark.skipif(not native.AVAILABLE, reason="native fan-out not built")

RUNS = int(os.environ.get("IMR_NATIVE_FUZZ_RUNS", "1000"))
SEED = int(os.environ.get("IMR_NATIVE_FUZZ_SEED", "0")) or random.randrange(1, 2**31)
CONNECTED = object()
KEY = bytes(range(30))  # AES128_CM_SHA1_80: 16-byte key + 14-byte salt

# Refusals the entry points may raise for bad input (anything else is a finding).
REFUSALS = (TypeError, ValueError, OverflowError, AttributeError, RuntimeError, MemoryError)

# Inputs kept as regression cases: (what, bytes) for Session.protect / Sink.send.
KEPT: list[tuple[str, bytes]] = [
    ("empty", b""),
    ("one byte short of a header", bytes([0x80]) + bytes(10)),
    ("bare header", bytes([0x80, 96]) + bytes(10)),
    ("15 CSRCs promised, none there", bytes([0x8F, 96]) + bytes(10)),
    ("extension longer than the packet", bytes([0x90, 96]) + bytes(10) + b"\xbe\xde\xff\xff"),
    ("extension header cut short", bytes([0x90, 96]) + bytes(10) + b"\xbe"),
    ("padding bit, padding count 255", bytes([0xA0, 96]) + bytes(10) + b"\x01\xff"),
    ("version 0", bytes(12) + b"payload"),
    ("all ones", b"\xff" * 2000),
]


class FuzzLeg:
    """Something that looks more or less like a `DownTrack`."""

    def __init__(self, rng: random.Random, sink: Any) -> None:
        self.subscriber_id = "fuzz"
        self.publisher_id = "fuzz"
        size = rng.choice([1, 16, 512])
        self._active = True
        self.paused = False
        self._started = True
        self._sink = sink
        self._first_in_seq = rng.randrange(65536)
        self._seq_offset = rng.randrange(65536)
        self._ts_offset = rng.randrange(2**32)
        self._last_out_seq = rng.randrange(65536)
        self._pt = rng.randrange(128)
        self._leg_ssrc = rng.randrange(2**32)
        self._static_ext = rng.choice([b"", b"\xbe\xde\x00\x01\x10\x30\x00\x00"])
        self._abs_id: Any = rng.choice([None, 3])
        self._ext_prefix = b"\xbe\xde\x00\x02\x10\x30\x32"
        self._ext_suffix = b"\x00\x00\x00"
        self._level_id: Any = rng.choice([None, 1])
        self._mid_element: Any = [(1, b"0")]
        self._history: Any = [None] * size
        self._sent_ntp: Any = [0] * size
        self._resends: Any = [0] * size
        self._last_out_ts = 0
        self._last_sent_ntp = 0
        self._mask = size - 1
        self.packets_sent = 0
        self.octets_sent = 0
        self.written = 0
        self.layer: Any = rng.randrange(3)  # simulcast: the layer forwarded, and the one wanted
        self.target_layer: Any = rng.choice([self.layer, rng.randrange(3)])
        # VP8 picture-ID renumbering (simulcast legs only; -1: none sent yet).
        self._vp8_ids: Any = rng.random() < 0.5
        self._pic_offset: Any = rng.randrange(0x8000)
        self._tl0_offset: Any = rng.randrange(256)
        self._last_pic: Any = rng.choice([-1, rng.randrange(0x8000)])
        self._last_tl0: Any = rng.choice([-1, rng.randrange(256)])

    def write(self, packet: Any, layer: int = 0) -> None:
        self.written += 1


GARBAGE: list[Any] = [
    None,
    -1,
    2**70,
    -(2**70),
    "x",
    b"\x00" * 600,
    3.5,
    [],
    [(99, b"")],
    [(1, b"x" * 17)],
    [("a", b"x")],
    [(1, "x")],
    (1, 2),
    object(),
]
ATTRS = [
    "layer",
    "target_layer",
    "_active",
    "paused",
    "_started",
    "_sink",
    "_first_in_seq",
    "_seq_offset",
    "_ts_offset",
    "_last_out_seq",
    "_pt",
    "_leg_ssrc",
    "_static_ext",
    "_abs_id",
    "_ext_prefix",
    "_ext_suffix",
    "_level_id",
    "_mid_element",
    "_history",
    "_mask",
    "packets_sent",
    "octets_sent",
    "_vp8_ids",
    "_pic_offset",
    "_tl0_offset",
    "_last_pic",
    "_last_tl0",
]


def garble_leg(rng: random.Random, leg: FuzzLeg) -> None:
    for _ in range(rng.randrange(1, 4)):
        name = rng.choice(ATTRS)
        if rng.random() < 0.2:
            if hasattr(leg, name):
                delattr(leg, name)
        else:
            setattr(leg, name, rng.choice(GARBAGE))


def random_packet(rng: random.Random, garble: bool) -> Any:
    size = rng.choice([0, 1, 2, 11, 12, 100, 1200, rng.randrange(2001)])
    payload = rng.randbytes(size)
    if rng.random() < 0.3:  # a VP8 descriptor with a picture ID and/or TL0PICIDX, cut anywhere
        head = bytes([rng.choice([0x80, 0x90]), rng.choice([0x80, 0x40, 0xC0, 0xF0])])
        payload = head + bytes([rng.choice([0x05, 0x85])]) + payload
        payload = payload[: rng.choice([2, 3, 4, 5, len(payload)])]
    packet = SimpleNamespace(
        sequence_number=rng.randrange(65536),
        timestamp=rng.randrange(2**32),
        marker=rng.randrange(2),
        payload=payload,
        padding_size=rng.choice([0, 0, 0, 1, 17, 255]),
        extensions=SimpleNamespace(audio_level=rng.choice([None, (True, 5), (False, 127)])),
    )
    if garble:
        field = rng.choice(
            ["sequence_number", "timestamp", "marker", "payload", "padding_size", "extensions"]
        )
        value = rng.choice(
            [*GARBAGE, 256, 300, SimpleNamespace(audio_level=(1,)), SimpleNamespace()]
        )
        if rng.random() < 0.1:
            delattr(packet, field)
        else:
            setattr(packet, field, value)
    return packet


@pytest.fixture
def wire() -> Iterator[tuple[socket.socket, socket.socket]]:
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.setblocking(False)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.bind(("127.0.0.1", 0))
    yield rx, tx
    rx.close()
    tx.close()


def make_sink(rx: socket.socket, tx: socket.socket) -> Any:
    sink = native.Sink(SimpleNamespace(state=CONNECTED), "state", CONNECTED, None)
    sink.set_route(native.Session(1, KEY), None, None, tx, "127.0.0.1", rx.getsockname()[1])
    sink.set_report({}, ("a", "b", "c", "d"))
    return sink


def drain(rx: socket.socket) -> int:
    n = 0
    try:
        while True:
            rx.recv(4096)
            n += 1
    except BlockingIOError:
        return n


@pytest.fixture
def hooks() -> Iterator[list[BaseException]]:
    """Capture the per-leg errors; an adopt hook that misbehaves on purpose."""
    errors: list[BaseException] = []

    def on_error(leg: Any, packet: Any, exc: BaseException) -> None:
        errors.append(exc)

    def adopt(leg: Any) -> None:
        if getattr(leg, "subscriber_id", None) == "raise":
            raise RuntimeError("adopt refused")

    native._fanout.configure(adopt, on_error)
    try:
        yield errors
    finally:
        native._fanout.configure(native.adopt, native._on_error)


def test_kept_inputs_are_refused_or_protected(wire: tuple[socket.socket, socket.socket]) -> None:
    session = native.Session(1, KEY)
    sink = make_sink(*wire)
    for _what, data in KEPT:
        for call in (session.protect, sink.send):
            try:
                call(data)
            except ValueError:
                pass


def test_fuzz_protect_and_send(wire: tuple[socket.socket, socket.socket]) -> None:
    rng = random.Random(SEED)
    session = native.Session(1, KEY)
    sink = make_sink(*wire)
    for _ in range(RUNS):
        data = bytearray(rng.randbytes(rng.randrange(2001)))
        if data and rng.random() < 0.7:
            data[0] = 0x80 | (data[0] & 0x3F)  # mostly version 2, random X/P/CC
        for call in (session.protect, sink.send):
            try:
                out = call(bytes(data))
            except ValueError:
                continue
            assert isinstance(out, bytes | bool), f"seed {SEED}"
        if rng.random() < 0.05:
            drain(wire[0])
    drain(wire[0])


def test_fuzz_bad_constructor_arguments() -> None:
    rng = random.Random(SEED)
    for _ in range(200):
        args = [rng.choice([*GARBAGE, 1, 7, 8, 9, 0]) for _ in range(rng.randrange(4))]
        with pytest.raises(REFUSALS):
            native.Session(*args)
    sink = native.Sink(SimpleNamespace(state=CONNECTED), "state", CONNECTED, None)
    assert sink.ready() is False and sink.send(bytes(20)) is False  # no route yet
    with pytest.raises(AttributeError):
        native.Sink(SimpleNamespace(), "nothing", CONNECTED, lambda s: True).ready()
    for host, port in (("not an address", 1), ("127.0.0.1", -1), ("127.0.0.1", 70000)):
        with pytest.raises(ValueError):
            sink.set_route(native.Session(1, KEY), None, None, SimpleNamespace(), host, port)
    with pytest.raises(TypeError):
        sink.set_route(native.Session(1, KEY), [], None, None, "127.0.0.1", 1)
    with pytest.raises(ValueError):
        sink.set_report({}, ("a",))
    with pytest.raises(TypeError):
        native._fanout.configure(1, 2)


def test_fuzz_fan_out(
    wire: tuple[socket.socket, socket.socket], hooks: list[BaseException]
) -> None:
    rx, tx = wire
    rng = random.Random(SEED)
    good_sent = 0
    for run in range(RUNS):
        sink = make_sink(rx, tx)
        legs: list[Any] = []
        good = FuzzLeg(rng, sink)
        good._abs_id = None
        good._level_id = None
        for _ in range(rng.randrange(6)):
            leg = FuzzLeg(rng, rng.choice([sink, sink, make_sink(rx, tx), None, "raise"]))
            if leg._sink == "raise":
                leg.subscriber_id = "raise"
            garble_leg(rng, leg)
            legs.append(leg)
        legs.extend(rng.choice([None, 1, "leg", object()]) for _ in range(rng.randrange(2)))
        legs.insert(rng.randrange(len(legs) + 1), good)
        rng.shuffle(legs)
        packet = random_packet(rng, garble=run % 3 == 0)
        table: Any = legs if rng.random() < 0.5 else tuple(legs)
        before = good.packets_sent
        # Half the calls carry a simulcast layer (now and then not an int, or out of range).
        layer: Any = rng.choice([0, 1, 2, 2, 7, -1, *GARBAGE]) if run % 2 else None
        if isinstance(layer, int) and layer in (0, 1, 2):
            good.layer = good.target_layer = layer
        try:
            if layer is None:
                native._fanout.fan_out(packet, table)
            else:
                native._fanout.fan_out(packet, table, layer)
        except REFUSALS:
            continue  # a packet-level refusal: nothing was sent
        behind = (packet.sequence_number - good._first_in_seq) & 0xFFFF
        if behind < 0x8000 and (layer is None or good.layer == layer):
            assert good.packets_sent == before + 1, f"seed {SEED} run {run}"
            good_sent += 1
        if run % 50 == 0:
            drain(rx)
    for bad in (None, 5, 2.5):
        with pytest.raises(TypeError):
            native._fanout.fan_out(random_packet(rng, False), bad)
    with pytest.raises(TypeError):
        native._fanout.fan_out()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        native._fanout.fan_out(random_packet(rng, False), [], 1, 2)  # type: ignore[call-arg]
    drain(rx)
    assert good_sent > RUNS // 10, f"seed {SEED}: the good leg was starved"
    assert hooks, "no leg was ever refused: the garbling does not reach the checks"


def plain_leg_and_packet(rng: random.Random, sink: Any) -> tuple[FuzzLeg, Any]:
    """A good leg with no header extension, and a packet (no padding) it forwards."""
    leg = FuzzLeg(rng, sink)
    leg._abs_id = leg._level_id = None
    leg._static_ext = b""
    leg._first_in_seq = 100
    packet = random_packet(rng, garble=False)
    packet.sequence_number = 101
    packet.padding_size = 0
    return leg, packet


def test_header_of_a_fuzzed_good_leg_is_the_rewrite(
    wire: tuple[socket.socket, socket.socket], hooks: list[BaseException]
) -> None:
    rx, tx = wire
    rng = random.Random(SEED)
    leg, packet = plain_leg_and_packet(rng, make_sink(rx, tx))
    native._fanout.fan_out(packet, [leg])
    (data,) = [d for d in leg._history if d is not None]
    first, second, seq, ts, ssrc = struct.unpack_from("!BBHII", data)
    assert first == 0x80 and second == leg._pt | (packet.marker << 7)
    assert seq == (101 + leg._seq_offset) & 0xFFFF
    assert ts == (packet.timestamp + leg._ts_offset) & 0xFFFFFFFF and ssrc == leg._leg_ssrc
    assert data[12:] == packet.payload
    assert not hooks


def test_vp8_renumbering_of_any_payload_is_pythons(
    wire: tuple[socket.socket, socket.socket], hooks: list[BaseException]
) -> None:
    rx, tx = wire
    rng = random.Random(SEED)
    renumbered = 0
    for run in range(RUNS):
        leg, packet = plain_leg_and_packet(rng, make_sink(rx, tx))
        leg._vp8_ids = True
        leg.layer = leg.target_layer = 1
        native._fanout.fan_out(packet, [leg], 1)
        (data,) = [d for d in leg._history if d is not None]
        payload, picture_id, tl0 = rewrite_vp8_ids(packet.payload, leg._pic_offset, leg._tl0_offset)
        assert data[12:] == payload, f"seed {SEED} run {run}: {packet.payload[:6].hex()}"
        renumbered += payload != packet.payload
        if picture_id is not None:
            assert leg._last_pic >= 0
        if tl0 is not None:
            assert leg._last_tl0 >= 0
        if run % 50 == 0:
            drain(rx)
    drain(rx)
    assert renumbered > RUNS // 10, f"seed {SEED}: hardly a VP8 descriptor among the payloads"
    assert not hooks


# ------------------------------------------------------------------ ingress


def test_fuzz_unprotect() -> None:
    rng = random.Random(SEED)
    inbound = native.Session(1, KEY, inbound=True)
    sender = native.Session(1, KEY)
    seq = 0
    for _ in range(RUNS):
        if rng.random() < 0.3:  # a real packet, maybe garbled after protection
            seq += 1
            header = struct.pack("!BBHII", 0x80, 96, seq & 0xFFFF, seq, 7)
            data = bytearray(sender.protect(header + rng.randbytes(rng.randrange(300))))
            if rng.random() < 0.5:
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        else:
            data = bytearray(rng.randbytes(rng.randrange(2001)))
        try:
            out = inbound.unprotect(bytes(data))
        except ValueError:
            continue
        assert isinstance(out, bytes) and len(out) <= len(data), f"seed {SEED}"
    with pytest.raises(RuntimeError):
        sender.unprotect(bytes(100))  # an outbound session does not unprotect
    for arg in GARBAGE:
        with pytest.raises(REFUSALS):
            inbound.unprotect(arg)


def test_fuzz_receive(wire: tuple[socket.socket, socket.socket]) -> None:
    """Random datagrams from the peer and from elsewhere, random arguments: lists, no crash."""
    rng = random.Random(SEED)
    rx, peer = wire
    stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stranger.bind(("127.0.0.1", 0))
    inbound = native.Session(1, KEY, inbound=True)
    sender = native.Session(1, KEY)
    host, port = peer.getsockname()
    seq = 0
    try:
        for _ in range(RUNS):
            for _ in range(rng.randrange(1, 6)):
                if rng.random() < 0.4:
                    seq += 1
                    header = struct.pack(
                        "!BBHII", 0x80 | rng.randrange(64), rng.randrange(256), seq & 0xFFFF, seq, 7
                    )
                    try:
                        data = bytearray(sender.protect(header + rng.randbytes(rng.randrange(200))))
                    except ValueError:
                        data = bytearray(header)
                else:
                    data = bytearray(rng.randbytes(rng.randrange(1500)))
                    if data and rng.random() < 0.6:
                        data[0] = 128 + rng.randrange(64)
                if data and rng.random() < 0.2:
                    data[rng.randrange(len(data))] ^= 0xFF
                (peer if rng.random() < 0.8 else stranger).sendto(bytes(data), rx.getsockname())
            args: list[Any] = [
                rx.fileno(),
                inbound if rng.random() < 0.8 else None,
                host if rng.random() < 0.9 else rng.choice(["::1", "nonsense", "10.0.0.1", ""]),
                port if rng.random() < 0.9 else rng.randrange(-5, 70000),
                rng.choice([1, 4, 32, 64, 0, -3]),
            ]
            if rng.random() < 0.1:
                args[rng.randrange(5)] = rng.choice([*GARBAGE, sender, -1, 2**40])
            try:
                got = native._fanout.receive(*args)
            except (*REFUSALS, OSError):
                continue
            for item in got:
                assert isinstance(item, bytes) or (
                    isinstance(item, tuple) and isinstance(item[0], bytes)
                ), f"seed {SEED}"
    finally:
        stranger.close()
        drain(rx)
