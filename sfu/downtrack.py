"""One subscriber leg: a publisher's RTP rewritten for one subscriber.

Per leg the SSRC, payload type, sequence numbers, timestamps and header
extensions are rewritten to what the subscriber negotiated; a packet history
answers the subscriber's NACKs; sender reports count what the leg really
sent. The leg's `RTCRtpSender` exists only for SDP, SSRC and RTCP: it is
parked on a track that never yields.
"""

from __future__ import annotations

import asyncio
import logging
import random
import struct
import time
from collections.abc import Callable
from typing import Any

from aiortc import MediaStreamTrack, RTCRtpTransceiver

from sfu.aiortc_internals import rtp_sender
from sfu.aiortc_internals.dtls_transport import DatagramSink
from sfu.aiortc_internals.rtp import (
    RTCP_PSFB_APP,
    RTCP_RTPFB_NACK,
    RtcpPsfbPacket,
    RtcpReceiverInfo,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSrPacket,
    RtpPacket,
    is_pli,
    unpack_remb_fci,
)
from sfu.aiortc_internals.rtp_transceiver import (
    negotiated_extension_ids,
    negotiated_payload_type,
    negotiated_rtx_payload_types,
)
from sfu.payloads import rewrite_vp8_ids, vp8_ids

logger = logging.getLogger(__name__)

MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"
AUDIO_LEVEL_URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
ABS_SEND_TIME_URI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"

_HEADER = struct.Struct("!BBHII")
REPAIR_HOLD_S = 1.0
"""After a congested leg drops to a lower layer, the old layer's packets are not resent
until the new layer's keyframe is across, and no longer than this if it never comes."""
KEYFRAME_CROSSING_S = 0.3
"""How long after the new layer's keyframe went out repairs of the old layer wait: a
bottleneck queue's worth (200 ms on the test bed's links) and some."""
LOSS_WINDOW_PACKETS = 10
"""A loss figure counts over at least this many packets the subscriber expected.

Chromium puts a receiver report in every compound RTCP packet, so also beside each
NACK: on a lossy link its reports came a few packets apart and said 1/2 or 1/3 lost
(a 10 % link read as 33-50 %, and the leg fell from 640x360 to 160x90 and back).
Reports are added up, from their cumulative counts, until the window is this long (a
report of 10 packets or more closes an empty window on its own figure). Not longer: the lowest
layer sends about 11 packets a second, and a leg whose figure still covers the layer it
left waits for a fresh one (30 packets held each step up back by 5-6 s), and a window
opened before a link fell mixes the time before into the fall (2.9 s, not 0.85 s, to the
lowest layer after 2 Mbit/s fell to 250 kbit/s)."""
LOSS_WINDOW_S = 5.0
"""...or this old (a still picture sends a packet or two a second)."""
FALL_PACKETS = 5
"""A report whose own interval has this many packets and lost half of them closes the
window on its own figure: a link that fell. Added to the packets before the fall, the
figure read 40 % (a step to the middle layer, the lowest 1.4 s later) where the report
said 75 %; 5 packets at 10 % random loss lose half 1 time in 100."""
NACK_RESEND_INTERVAL_S = 0.1
"""The shortest time between two retransmissions of one packet on a leg."""
NACK_MAX_RESENDS = 3
NACK_MAX_AGE_NTP = 1 << 32
"""Packets sent more than a second ago are not resent (NTP units: 2^32 per second)."""
PADDING_BYTES = 255
"""Padding of a probe packet when there is nothing to copy: the most one RTP packet's
padding can say (its last byte)."""
PROBE_COPIES = 16
"""Probe packets copy the last this many packets the leg sent, in turn."""

KeyframeTest = Callable[[bytes], bool]

# Seconds from the NTP epoch (1900) to the Unix epoch (1970).
NTP_UNIX_OFFSET = 2_208_988_800


def ntp_now() -> int:
    """The current time as a 64-bit NTP timestamp (cheaper than aiortc's datetime path)."""
    return int((time.time() + NTP_UNIX_OFFSET) * 4_294_967_296)


def _newer(value: int, last: int, mask: int) -> bool:
    """Whether `value` is newer than `last` (-1: none yet) in a space `mask` + 1 wide
    (as `note_newer` in _fanout.c)."""
    return last < 0 or (value - last) & mask <= mask // 2


class ParkedTrack(MediaStreamTrack):
    """A track whose `recv` never returns: keeps a leg's sender from sending on its own."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._never = asyncio.Event()

    async def recv(self) -> Any:
        """Wait until the sender is stopped (its task is then cancelled)."""
        await self._never.wait()
        raise RuntimeError("a parked track never yields")


def extension_block(elements: list[tuple[int, bytes]]) -> bytes:
    """An RFC 8285 one-byte-header extension block (empty if no elements)."""
    if not elements:
        return b""
    body = b"".join(bytes([(ext_id << 4) | (len(value) - 1)]) + value for ext_id, value in elements)
    body += b"\x00" * (-len(body) % 4)
    return b"\xbe\xde" + struct.pack("!H", len(body) // 4) + body


class DownTrack:
    """Forwards one publisher track to one subscriber."""

    def __init__(
        self,
        *,
        publisher_id: str,
        subscriber_id: str,
        transceiver: RTCRtpTransceiver,
        is_keyframe: KeyframeTest | None,
        request_keyframe: Callable[[int], None],
        history_size: int,
        layers: int = 1,
        vp8_ids: bool = False,
    ) -> None:
        self.publisher_id = publisher_id
        self.subscriber_id = subscriber_id
        self.transceiver = transceiver
        self.kind = transceiver.kind
        self.paused = False
        self.packets_sent = 0
        self.octets_sent = 0
        self.nacks_answered = 0
        self.padding_sent = 0
        """Octets of padding (probe packets) sent on the leg's RTX stream."""
        self._rtx: tuple[int, int] | None = None
        """(payload type, SSRC) of the leg's RTX stream (None: not negotiated)."""
        self._rtx_seq = random.getrandbits(15)
        self._pad_owed = 0.0
        self._pad_next = 0
        self.fraction_lost = 0.0
        """The loss on the subscriber's own link (see `_link_loss`), from its receiver reports."""
        self.fraction_lost_before: float | None = None
        """The figure before `fraction_lost` (None: there was none)."""
        self.loss_since = time.monotonic()
        """When the interval `fraction_lost` covers began (the report before it arrived):
        Chromium reports on sound only every 5 s or so, so a figure can be that old."""
        self._report_time = self.loss_since
        self.estimate_bps: int | None = None
        self._estimate_held = (0, 0.0)
        """(bit/s, monotonic until): `estimate_bps` is at least that much until then
        (`hold_estimate`)."""
        self.on_report: Callable[[], None] | None = None
        """Called when a receiver report on this leg has updated `fraction_lost`."""
        self.send_bps = 0.0
        """Payload bitrate this leg sent over the last `sample_send_rate` interval."""
        self._rate_sample: tuple[float, int] | None = None
        self.layers = layers
        """How many simulcast layers the publisher sends (1: no simulcast)."""
        self.layer = layers - 1
        """The layer this leg forwards now."""
        self.target_layer = layers - 1
        """The layer it should forward: it switches there at that layer's next keyframe."""
        self.layer_switches = 0
        self._vp8_ids = vp8_ids
        """Whether VP8 picture IDs and TL0PICIDX are renumbered (a simulcast VP8 leg).

        Each layer is its own encoder with its own picture IDs. Forwarded as they
        are, a switch down could jump them back: the packets of the layer left that
        NACKs repaired after the switch then carried newer picture IDs than the new
        layer's keyframe, and Chromium held every frame after that keyframe as
        undecodable until its own keyframe request 3 s later (48 frames dropped).
        Renumbered, they run on by one across a switch, as mediasoup and LiveKit
        do: the old layer's late frames are older than the keyframe and dropped."""
        self._pic_offset = 0
        self._tl0_offset = 0
        self._last_pic = -1
        """The newest picture ID this leg sent (-1: none yet)."""
        self._last_tl0 = -1
        """The newest TL0PICIDX this leg sent (-1: none yet)."""
        self._clock_rate = 90000 if self.kind == "video" else 48000
        self._last_out_ts = 0
        self._last_sent_ntp = 0
        self._repair_from_ntp = 0
        """Packets sent before this (NTP time) are not resent until `_repair_held_until`."""
        self._repair_held_until = 0.0
        """Monotonic time until which the layer a congested leg left is not repaired."""
        self._is_keyframe = is_keyframe
        self._request_keyframe = request_keyframe
        self._active = False
        self._started = False
        self._asked_when_ready = False
        self._leg_ssrc = rtp_sender.sender_ssrc(transceiver.sender)
        self._sink = DatagramSink(rtp_sender.sender_dtls(transceiver.sender))
        self._counters = rtp_sender.SenderCounters(transceiver.sender)
        # Opus is not retransmitted (browsers do not NACK audio): a small ring will do.
        size = history_size if self.kind == "video" else 16
        self._mask = size - 1
        self._history: list[bytes | None] = [None] * size
        self._resent_at = [0.0] * size
        self._sent_ntp = [0] * size
        self._resends = [0] * size
        self._pt = 0
        self._mid_element: list[tuple[int, bytes]] = []
        self._static_ext = b""
        self._level_id: int | None = None
        self._abs_id: int | None = None
        self._ext_prefix = self._ext_suffix = b""
        self._first_in_seq = 0
        self._seq_offset = 0
        self._ts_offset = random.getrandbits(32)
        # Below 2^15, like aiortc, so that SRTP never sees an early wraparound.
        self._last_out_seq = random.getrandbits(15)
        self._reported_at = (self._last_out_seq, 0)
        """(`_last_out_seq`, `packets_sent`) when the last loss window closed."""
        self._fresh_after = 0.0
        """The window open at the first report after this (monotonic) is dropped
        (`fresh_figure_after`)."""
        self._last_counts = (0, 0)
        """(highest sequence, cumulative lost) of the subscriber's last report."""
        self._loss_window: tuple[float, int, int] | None = None
        """(monotonic time, highest sequence, cumulative lost) of the subscriber's report that
        opened the loss window now adding up (`LOSS_WINDOW_PACKETS`)."""
        rtp_sender.hook_sender_rtcp(transceiver.sender, self._on_rtcp)

    @property
    def mid(self) -> str | None:
        """The subscriber-side m-line id of this leg."""
        return self.transceiver.mid

    def activate(self) -> None:
        """Start forwarding once the subscriber's answer fixed payload type and extensions."""
        pt = negotiated_payload_type(self.transceiver)
        if pt is None:
            raise ValueError("leg has no negotiated codec")
        self._pt = pt
        ids = negotiated_extension_ids(self.transceiver)
        mid = self.transceiver.mid
        mid_id = ids.get(MID_URI)
        self._mid_element = [(mid_id, mid.encode())] if mid_id and mid else []
        self._static_ext = extension_block(self._mid_element)
        self._level_id = ids.get(AUDIO_LEVEL_URI) if self.kind == "audio" else None
        # abs-send-time lets the subscriber estimate its bandwidth (and send REMB).
        self._abs_id = ids.get(ABS_SEND_TIME_URI) if self.kind == "video" else None
        if self._abs_id is not None:
            block = extension_block([*self._mid_element, (self._abs_id, bytes(3))])
            at = 4 + sum(1 + len(value) for _, value in self._mid_element) + 1
            self._ext_prefix, self._ext_suffix = block[:at], block[at + 3 :]
        rtx = [p for p, apt in negotiated_rtx_payload_types(self.transceiver).items() if apt == pt]
        if self.kind == "video" and rtx:
            self._rtx = (rtx[0], rtp_sender.sender_rtx_ssrc(self.transceiver.sender))
        # The keyframe request waits until the leg can send (see `_begin`):
        # a keyframe arriving before DTLS is up would be wasted.
        self._active = True

    def pause(self) -> None:
        """Stop forwarding (mute, audio-only); resuming restarts on a keyframe."""
        self.paused = True
        self._started = False

    def resume(self) -> None:
        """Forward again after `pause`."""
        if self.paused:
            self.paused = False
            self.restart()

    def restart(self) -> None:
        """Begin again at the next keyframe, with continuous sequence numbers."""
        self._started = False
        self._asked_when_ready = False
        self.layer = self.target_layer
        if self._active:
            self._request_keyframe(self.target_layer)

    def sample_send_rate(self, now: float) -> None:
        """Update `send_bps` from the payload sent since the last call (outside the hot path)."""
        if self._rate_sample is not None:
            then, octets = self._rate_sample
            self.send_bps = (self.octets_sent - octets) * 8 / max(now - then, 1e-3)
        self._rate_sample = (now, self.octets_sent)

    @property
    def can_pad(self) -> bool:
        """Whether the leg can send probe padding now (RTX negotiated, forwarding)."""
        return self._rtx is not None and self._started and self._active and not self.paused

    def pad(self, bps: float, elapsed_s: float) -> int:
        """Send `bps` of probe packets for `elapsed_s` seconds (a bandwidth trial); the
        octets sent.

        They go on the leg's RTX stream, whose sequence numbers nothing else uses,
        so the media's numbering, history and loss figures stay as they are: RTX
        copies of the packets the leg sent last (the subscriber drops them as
        duplicates), each with abs-send-time like the media. Copies, not padding
        alone: a padding-only packet holds 255 bytes at most, and a tail-drop queue
        full of small packets drops the media's big ones first (Chromium at 600
        kbit/s with 525 kbit/s of padding beside the middle layer got no media at all
        for 3 s). Copies the media's size share the queue's drops with it: what the
        subscriber then reports lost is the trial's verdict.
        """
        if not self.can_pad or bps <= 0:
            self._pad_owed = 0.0
            return 0
        # Owed at most two ticks' worth: a late tick must not become a burst.
        self._pad_owed = min(self._pad_owed + bps * elapsed_s / 8, bps * 2 * elapsed_s / 8)
        sent = 0
        while self._pad_owed > 0:
            data = self._probe_packet()
            if not self._sink.send(data):
                self._pad_owed = 0.0
                break
            self._pad_owed -= len(data)
            sent += len(data)
        self.padding_sent += sent
        return sent

    def _probe_packet(self) -> bytes:
        """The next probe packet: an RTX copy of one of the last packets sent (padding
        alone when there is none)."""
        assert self._rtx is not None
        pt, ssrc = self._rtx
        ext = self._static_ext
        if self._abs_id is not None:
            send_time = ((ntp_now() >> 14) & 0xFFFFFF).to_bytes(3, "big")
            ext = b"".join((self._ext_prefix, send_time, self._ext_suffix))
        self._pad_next = (self._pad_next + 1) % PROBE_COPIES
        original = self._history[(self._last_out_seq - self._pad_next) & self._mask]
        seq, self._rtx_seq = self._rtx_seq, (self._rtx_seq + 1) & 0xFFFF
        if original is None or len(original) < 12:
            header = _HEADER.pack(0xA0 | (0x10 if ext else 0), pt, seq, self._last_out_ts, ssrc)
            return b"".join((header, ext, bytes(PADDING_BYTES - 1), bytes([PADDING_BYTES])))
        first = original[0]
        at = 12 + 4 * (first & 0x0F)
        if first & 0x10 and len(original) >= at + 4:
            at += 4 + 4 * int.from_bytes(original[at + 2 : at + 4], "big")
        end = len(original) - (original[-1] if first & 0x20 else 0)
        header = _HEADER.pack(
            0x80 | (0x10 if ext else 0),
            (original[1] & 0x80) | pt,
            seq,
            int.from_bytes(original[4:8], "big"),
            ssrc,
        )
        return b"".join((header, ext, original[2:4], original[at : max(at, end)]))

    def hold_estimate(self, bps: int | None, until: float) -> None:
        """Take the subscriber's estimate as at least `bps` until monotonic `until`.

        A layer trial that overfilled the link cuts a delay-based estimate far below
        what the link carried before it (Chromium at 600 kbit/s with 10 % loss: from
        300 to 95 kbit/s, climbing back some 8 % a second), and the leg, its loss
        calm again, then looked short of its layer: the audio floor took it to the
        lowest layer. What the trial did is no news about the layer the leg has.
        """
        if bps is not None:
            self._estimate_held = (bps, until)
            if self.estimate_bps is not None and self.estimate_bps < bps:
                self.estimate_bps = bps

    def repair_anew(self) -> None:
        """A layer trial's padding overfilled the link, and stops: what the media lost
        meanwhile is repaired afresh, however often it was resent into the full queue
        (resends there are lost with the rest; Chromium asked for keyframes after failed
        trials, probably for frames whose packets had used up their resends)."""
        size = self._mask + 1
        self._resends, self._resent_at = [0] * size, [0.0] * size

    def select_layer(self, layer: int) -> None:
        """Forward simulcast layer `layer` from its next keyframe on (asked for now)."""
        layer = max(0, min(layer, self.layers - 1))
        if layer == self.target_layer:
            return
        self.target_layer = layer
        if not self._started:
            self.layer = layer
        if self._active and not self.paused and layer != self.layer:
            self._request_keyframe(layer)

    def drop_to_layer(self, layer: int) -> None:
        """Stop forwarding now and resume on `layer`'s next keyframe (the link is congested).

        Forwarding the old layer until the new keyframe would keep the
        bottleneck queue full, and the keyframe would be lost in it.
        """
        self.target_layer = max(0, min(layer, self.layers - 1))
        # Nor are the old layer's lost packets repaired until the new layer's keyframe
        # has crossed the link: the subscriber NACKs most of what the link dropped, and
        # resending it at once filled the queue again, so the keyframe was lost in it
        # (Chromium showed the low layer 2-4 s after the fall). Afterwards they are:
        # aiortc's receiver waits at a hole (12 s, until its buffer overflows) where
        # Chromium skips to the keyframe.
        self._repair_from_ntp = ntp_now()
        self._repair_held_until = time.monotonic() + REPAIR_HOLD_S
        self.restart()

    def write(self, packet: RtpPacket, layer: int = 0) -> None:
        """Rewrite one ingress packet of simulcast `layer` for this leg and send it (the hot path)."""
        if not self._active or self.paused:
            return
        seq = packet.sequence_number
        if layer != self.layer:
            if layer != self.target_layer or not self._switch(packet, layer):
                return
        elif not self._started:
            if not self._begin(packet):
                return
        else:
            behind = (seq - self._first_in_seq) & 0xFFFF
            if behind >= 0x8000:
                return  # a retransmission from before this leg started
            if behind > 0x2000:
                # Keep the reference trailing the stream, or after 2^15
                # packets every packet would look older than the start.
                self._first_in_seq = (seq - 0x1000) & 0xFFFF
        out_seq = (seq + self._seq_offset) & 0xFFFF
        timestamp = (packet.timestamp + self._ts_offset) & 0xFFFFFFFF
        now = ntp_now()
        ext = self._static_ext
        if self._abs_id is not None:
            send_time = ((now >> 14) & 0xFFFFFF).to_bytes(3, "big")
            ext = b"".join((self._ext_prefix, send_time, self._ext_suffix))
        elif self._level_id is not None and packet.extensions.audio_level is not None:
            vad, level = packet.extensions.audio_level
            value = bytes([(0x80 if vad else 0) | (level & 0x7F)])
            ext = extension_block([*self._mid_element, (self._level_id, value)])
        payload = packet.payload
        if self._vp8_ids:
            payload, picture_id, tl0 = rewrite_vp8_ids(payload, self._pic_offset, self._tl0_offset)
            if picture_id is not None and _newer(picture_id, self._last_pic, 0x7FFF):
                self._last_pic = picture_id
            if tl0 is not None and _newer(tl0, self._last_tl0, 0xFF):
                self._last_tl0 = tl0
        if packet.padding_size:
            payload += bytes(packet.padding_size - 1) + bytes([packet.padding_size])
        first = 0x80 | (0x10 if ext else 0) | (0x20 if packet.padding_size else 0)
        header = _HEADER.pack(
            first, self._pt | (packet.marker << 7), out_seq, timestamp, self._leg_ssrc
        )
        data = b"".join((header, ext, payload))
        slot = out_seq & self._mask
        self._history[slot] = data
        self._sent_ntp[slot] = now
        self._resends[slot] = 0
        if (out_seq - self._last_out_seq) & 0xFFFF < 0x8000:
            self._last_out_seq = out_seq
            self._last_out_ts = timestamp
            self._last_sent_ntp = now
        if self._sink.send(data):
            self.packets_sent += 1
            self.octets_sent += len(payload)
            self._counters.update(now, timestamp, self.packets_sent, self.octets_sent)

    def _switch(self, packet: RtpPacket, layer: int) -> bool:
        """Move to `layer` if this packet starts one of its keyframes; numbering stays continuous.

        Each layer has its own sequence numbers and RTP clock base: the leg
        continues right after what it last sent, and its timestamps advance by
        the wall-clock time since then, so the subscriber sees one stream.
        """
        if self._started and (self._is_keyframe is None or not self._is_keyframe(packet.payload)):
            return False
        was_started = self._started
        self._started = False
        if not self._begin(packet):
            self._started = was_started
            return False
        self.layer = layer
        self.layer_switches += 1
        return True

    def _begin(self, packet: RtpPacket) -> bool:
        """Start (or restart) the leg on this packet if it can begin a stream here."""
        if not self._sink.ready():
            return False
        if not self._asked_when_ready:
            self._asked_when_ready = True
            self._request_keyframe(self.target_layer)
        if self._is_keyframe is not None and not self._is_keyframe(packet.payload):
            return False
        seq = packet.sequence_number
        self._first_in_seq = seq
        self._seq_offset = (self._last_out_seq + 1 - seq) & 0xFFFF
        if self.layers > 1 and self._last_sent_ntp:
            # Another layer's clock: continue from the last timestamp sent, plus the time since.
            ticks = (ntp_now() - self._last_sent_ntp) * self._clock_rate >> 32
            self._ts_offset = (self._last_out_ts + max(1, ticks) - packet.timestamp) & 0xFFFFFFFF
        if self._vp8_ids:
            # Picture IDs and TL0PICIDX run on from the last sent (see `_vp8_ids`).
            picture_id, tl0 = vp8_ids(packet.payload)
            if picture_id is not None and self._last_pic >= 0:
                self._pic_offset = (self._last_pic + 1 - picture_id) & 0x7FFF
            if tl0 is not None and self._last_tl0 >= 0:
                self._tl0_offset = (self._last_tl0 + 1 - tl0) & 0xFF
        self._started = True
        now = time.monotonic()
        if self._repair_held_until > now:
            # The new keyframe goes out now: hold repairs of the old layer until it is across.
            self._repair_held_until = now + KEYFRAME_CROSSING_S
        return True

    async def _on_rtcp(self, packet: Any) -> bool:
        """Answer NACKs from history and relay keyframe requests upstream."""
        if isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
            if self.paused:
                return True  # audio only: repairing old video would only crowd out the audio
            now = time.monotonic()
            too_old = ntp_now() - NACK_MAX_AGE_NTP
            if now < self._repair_held_until:
                too_old = max(too_old, self._repair_from_ntp)
            for seq in packet.lost:
                slot = seq & self._mask
                data = self._history[slot]
                # aiortc's receivers repeat every NACK on each packet they get:
                # resend one packet at most once per interval, or a weak link
                # fills with repeats of the same packets.
                # A packet is resent a few times at most, and not once it is
                # too old to be played: aiortc's receivers NACK a lost packet
                # forever, and on a congested link the repeats starved it.
                if (
                    data is not None
                    and int.from_bytes(data[2:4], "big") == seq
                    and now - self._resent_at[slot] >= NACK_RESEND_INTERVAL_S
                    and self._resends[slot] < NACK_MAX_RESENDS
                    and self._sent_ntp[slot] > too_old
                ):
                    self._resent_at[slot] = now
                    self._resends[slot] += 1
                    self._sink.send(data)
                    self.nacks_answered += 1
            return True
        if is_pli(packet):
            self._request_keyframe(self.target_layer)
            return True
        if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
            try:
                bitrate, ssrcs = unpack_remb_fci(packet.fci)
            except ValueError:
                return True
            if self._leg_ssrc in ssrcs:
                held, until = self._estimate_held
                self.estimate_bps = max(bitrate, held) if time.monotonic() < until else bitrate
            return True
        if isinstance(packet, RtcpRrPacket | RtcpSrPacket):
            for report in packet.reports:
                if report.ssrc == self._leg_ssrc and self._take_report(report):
                    if self.on_report is not None:
                        self.on_report()
        return False  # aiortc's own handler keeps the leg's statistics

    def fresh_figure_after(self, at: float) -> None:
        """The next figure should cover only time after monotonic `at` (when a step down
        has settled): the window still open then is dropped at the first report after it.

        A leg whose figure still covers the layer it left waits for one that does not;
        without this, the window open at `at` had to close first and the next one with
        it, and each step down held the next step up back a second longer.
        """
        self._fresh_after = at

    @property
    def loss_span(self) -> tuple[float, float]:
        """When the interval `fraction_lost` covers began and ended (monotonic)."""
        return (self.loss_since, self._report_time)

    @property
    def reported(self) -> bool:
        """Whether the subscriber has sent a receiver report on this leg yet."""
        return self._loss_window is not None

    def _take_report(self, report: RtcpReceiverInfo) -> bool:
        """Fold a receiver report on this leg into `fraction_lost`; True when the figure changed.

        The first report's own figure is taken as it is; after it, reports add up
        (`LOSS_WINDOW_PACKETS`) from their cumulative counts.
        """
        now = time.monotonic()
        window = self._loss_window
        first = window is None
        last_highest, last_lost = self._last_counts
        self._last_counts = (report.highest_sequence, report.packets_lost)
        own = (report.highest_sequence - last_highest) & 0xFFFFFFFF
        fell = FALL_PACKETS <= own < 0x80000000 and (report.packets_lost - last_lost) * 2 >= own
        if window is not None and fell:
            window = (now, last_highest, last_lost)  # this report on its own
        if window is None:
            self._loss_window = (now, report.highest_sequence, report.packets_lost)
            reported = report.fraction_lost / 256
        else:
            opened, highest, lost = window
            if opened < self._fresh_after <= now:
                self._loss_window = (now, report.highest_sequence, report.packets_lost)
                self._report_time = now  # where the next figure begins
                return False
            expected = (report.highest_sequence - highest) & 0xFFFFFFFF
            if expected >= 0x80000000:  # an older report overtaken: start again from this one
                self._loss_window = (now, report.highest_sequence, report.packets_lost)
                return False
            if expected < LOSS_WINDOW_PACKETS and now - opened < LOSS_WINDOW_S and not fell:
                return False
            self._loss_window = (now, report.highest_sequence, report.packets_lost)
            if expected == 0:
                return False  # nothing sent meanwhile (a paused leg): no figure
            reported = min(max((report.packets_lost - lost) / expected, 0.0), 1.0)
        if not first:
            self.fraction_lost_before = self.fraction_lost
        self.fraction_lost = self._link_loss(reported)
        self.loss_since, self._report_time = self._report_time, now
        return True

    def _link_loss(self, reported: float) -> float:
        """The share of what this leg sent that the subscriber's link lost.

        The leg's sequence numbers follow the publisher's, so a packet lost on
        the publisher's way up is a gap the subscriber counts as lost too. The
        gaps the leg itself sent since the last report (numbers it skipped less
        late packets that filled them) are taken out: a weak publisher must not
        make its viewers' links look weak, step their layers down or put them
        on sound only. Both paths (C and Python) keep `_last_out_seq` and
        `packets_sent` alike.
        """
        last_seq, last_sent = self._reported_at
        self._reported_at = (self._last_out_seq, self.packets_sent)
        span = (self._last_out_seq - last_seq) & 0xFFFF
        if span == 0 or span >= 0x8000:
            return reported
        gaps = min(max(span - (self.packets_sent - last_sent), 0) / span, 1.0)
        if gaps >= 1.0:
            return 0.0
        return max(0.0, (reported - gaps) / (1 - gaps))

    async def close(self) -> None:
        """Stop forwarding and stop the parked sender (sends RTCP BYE)."""
        self._active = False
        rtp_sender.unhook_sender_rtcp(self.transceiver.sender)
        self._history = [None] * (self._mask + 1)
        await self.transceiver.sender.stop()
