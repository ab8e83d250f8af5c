"""One published track fanned out, packet by packet, to its subscriber legs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiortc import RTCRtpTransceiver
from aiortc.rtp import RtpPacket, unwrap_rtx

from sfu import aiortc_internals as internals
from sfu.config import SfuConfig
from sfu.downtrack import DownTrack
from sfu.keyframes import KeyframeRequester
from sfu.payloads import keyframe_detector

logger = logging.getLogger(__name__)

FORWARDED_MIME_TYPES = ("video/vp8", "video/h264", "audio/opus")

LevelObserver = Callable[[str, int], None]
FrameSink = Callable[[Any, Any, float], None]


class Forwarder:
    """Receives one publisher track and writes each RTP packet to every leg."""

    def __init__(
        self,
        *,
        publisher_id: str,
        transceiver: RTCRtpTransceiver,
        config: SfuConfig,
        on_audio_level: LevelObserver,
    ) -> None:
        codec = internals.negotiated_codec(transceiver)
        self.publisher_id = publisher_id
        self.transceiver = transceiver
        self.kind = transceiver.kind
        self.codec = codec
        self.mime_type = codec.mimeType.lower()
        self.track_id = f"{publisher_id}:{self.kind}"
        self.self_muted = False
        self.server_muted = False
        self.packets_in = 0
        self.repaired = 0
        """Retransmissions (RTX) received from the publisher and forwarded."""
        self.media_ssrc: int | None = None
        self._legs: dict[str, DownTrack] = {}
        self._leg_list: tuple[DownTrack, ...] = ()
        self._rtx = internals.negotiated_rtx_payload_types(transceiver)
        self._media_pt = codec.payloadType
        self.is_keyframe = keyframe_detector(self.mime_type)
        self.closed = False
        self._on_audio_level = on_audio_level
        self._frame_sink: FrameSink | None = None
        self.keyframes = KeyframeRequester(
            self._send_pli,
            window_s=config.keyframe_window_s,
            retry_s=config.keyframe_retry_s,
            name=self.track_id,
        )
        self._tap: Any = None
        internals.hook_publisher_receiver(
            transceiver.receiver,
            self.on_packet,
            self._on_started,
            frames_wanted=lambda: self._frame_sink is not None,
        )

    @property
    def forwarding(self) -> bool:
        """Whether packets go out (not muted by the publisher or the leader)."""
        return not (self.self_muted or self.server_muted)

    @property
    def legs(self) -> tuple[DownTrack, ...]:
        """The subscriber legs currently attached."""
        return self._leg_list

    def start(self) -> None:
        """Start the owned tasks (video: the keyframe requester)."""
        if self.kind == "video":
            self.keyframes.start()

    def add_leg(self, leg: DownTrack) -> None:
        """Attach a negotiated subscriber leg."""
        self._legs[leg.subscriber_id] = leg
        self._leg_list = tuple(self._legs.values())

    def remove_leg(self, subscriber_id: str) -> DownTrack | None:
        """Detach a subscriber's leg (the caller closes it)."""
        leg = self._legs.pop(subscriber_id, None)
        self._leg_list = tuple(self._legs.values())
        return leg

    def request_keyframe(self) -> None:
        """Ask the publisher for a keyframe (merged, never dropped)."""
        if self.kind == "video":
            self.keyframes.request()

    def set_frame_sink(self, sink: FrameSink | None) -> None:
        """Receive reassembled encoded frames (recording); None stops them."""
        changed = sink != self._frame_sink
        self._frame_sink = sink
        if sink is not None and changed:
            self.request_keyframe()  # a video file starts on a keyframe

    def on_packet(self, packet: RtpPacket) -> None:
        """Ingress hook: one decrypted RTP packet from the publisher (the hot path)."""
        pt = packet.payload_type
        if pt == self._media_pt:
            if packet.ssrc != self.media_ssrc:
                if self.media_ssrc is not None:
                    # A new stream (new sequence space): every leg restarts on a keyframe.
                    for leg in self._leg_list:
                        leg.restart()
                self.media_ssrc = packet.ssrc
        elif pt in self._rtx:
            if self.media_ssrc is None or len(packet.payload) < 2:
                return
            packet = unwrap_rtx(packet, payload_type=self._rtx[pt], ssrc=self.media_ssrc)
            self.repaired += 1
        else:
            return  # a payload type we did not negotiate: never forward it
        self.packets_in += 1
        if self.is_keyframe is not None:
            if packet.payload and self.is_keyframe(packet.payload):
                self.keyframes.on_keyframe()
        elif packet.extensions.audio_level is not None and self.forwarding:
            self._on_audio_level(self.publisher_id, packet.extensions.audio_level[1])
        if self.self_muted or self.server_muted:
            return
        for leg in self._leg_list:
            try:
                leg.write(packet)
            except Exception:
                logger.exception(
                    "leg %s <- %s failed on %r", leg.subscriber_id, self.track_id, packet
                )

    def _on_started(self) -> None:
        self._tap = internals.tap_encoded_frames(self.transceiver.receiver)
        self._tap.hook = self._on_frame

    def _on_frame(self, codec: Any, frame: Any) -> None:
        sink = self._frame_sink
        if sink is not None and self.forwarding:
            sink(codec, frame, asyncio.get_running_loop().time())

    async def _send_pli(self) -> None:
        if self.media_ssrc is not None:
            await internals.send_pli(self.transceiver.receiver, self.media_ssrc)

    async def send_bitrate_cap(self, bitrate: int) -> None:
        """Tell the publisher the most video bitrate it may send (REMB)."""
        if self.media_ssrc is not None:
            await internals.send_remb(self.transceiver.receiver, bitrate, self.media_ssrc)

    async def close(self) -> None:
        """Stop the owned tasks and close every leg (idempotent)."""
        self.closed = True
        self._frame_sink = None
        await self.keyframes.close()
        legs, self._legs, self._leg_list = list(self._legs.values()), {}, ()
        for leg in legs:
            await leg.close()
