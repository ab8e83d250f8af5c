"""One published track fanned out, packet by packet, to its subscriber legs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from aiortc import RTCRtpTransceiver

from sfu import native
from sfu.aiortc_internals import rtp_receiver, rtp_transceiver
from sfu.aiortc_internals.rtp import RtpPacket, unwrap_rtx
from sfu.config import SfuConfig
from sfu.downtrack import DownTrack
from sfu.keyframes import KeyframeRequester
from sfu.layer_pause import LayerPause
from sfu.payloads import keyframe_detector, vp8_keyframe_size
from sfu.simulcast import Simulcast

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
        simulcast: Simulcast | None = None,
    ) -> None:
        codec = rtp_transceiver.negotiated_codec(transceiver)
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
        self.media_ssrc: int | None = simulcast.ssrcs[-1] if simulcast else None
        self.simulcast = simulcast
        self._layer_of = {ssrc: i for i, ssrc in enumerate(simulcast.ssrcs)} if simulcast else {}
        self._rtx_media = dict(simulcast.rtx) if simulcast else {}
        self.layer_count = len(self._layer_of) or 1
        self.layer_octets = [0] * self.layer_count
        self.layer_bps: tuple[float, ...] = (0.0,) * self.layer_count
        """Each layer's payload bitrate over the last `sample_layers` interval."""
        self.layer_heights: list[int | None] = [None] * self.layer_count
        """Each layer's picture height, read from its keyframes (VP8)."""
        self.layer_pause = LayerPause()
        """Layers the publisher was told nobody receives: their `layer_bps` stays at
        the last rate measured (a leg may choose them; they are then asked for again)."""
        self._sampled: tuple[float, list[int]] | None = None
        """Payload bytes received per layer (for the bitrate each layer costs a leg)."""
        self._legs: dict[str, DownTrack] = {}
        self._leg_list: tuple[DownTrack, ...] = ()
        self._rtx = rtp_transceiver.negotiated_rtx_payload_types(transceiver)
        self._media_pt = codec.payloadType
        self.is_keyframe = keyframe_detector(self.mime_type)
        self.closed = False
        self._on_audio_level = on_audio_level
        self._frame_sink: FrameSink | None = None
        self.caption_sink: FrameSink | None = None
        """Encoded audio frames for live captions (sfu/captions.py); None: not captioned."""
        self.keyframe_requesters = [
            KeyframeRequester(
                partial(self._send_pli, layer),
                window_s=config.keyframe_window_s,
                retry_s=config.keyframe_retry_s,
                name=f"{self.track_id}:{layer}",
            )
            for layer in range(self.layer_count)
        ]
        self._tap: rtp_receiver.FrameTap | None = None
        rtp_receiver.hook_publisher_receiver(
            transceiver.receiver,
            self.on_packet,
            self._on_started,
            frames_wanted=lambda: self._frame_sink is not None or self.caption_sink is not None,
            rtx_ssrcs=self._rtx_media,
        )
        # The publisher's media read in batches and unprotected natively (on the native path).
        native.watch_ingress(transceiver.receiver.transport)

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
            for requester in self.keyframe_requesters:
                requester.start()

    def add_leg(self, leg: DownTrack) -> None:
        """Attach a negotiated subscriber leg."""
        self._legs[leg.subscriber_id] = leg
        self._leg_list = tuple(self._legs.values())

    def remove_leg(self, subscriber_id: str) -> DownTrack | None:
        """Detach a subscriber's leg (the caller closes it)."""
        leg = self._legs.pop(subscriber_id, None)
        self._leg_list = tuple(self._legs.values())
        return leg

    def request_keyframe(self, layer: int | None = None) -> None:
        """Ask the publisher for a keyframe of `layer` (default the top; merged, never dropped)."""
        if self.kind == "video":
            top = self.layer_count - 1
            self.keyframe_requesters[top if layer is None else min(layer, top)].request()

    def set_frame_sink(self, sink: FrameSink | None) -> None:
        """Receive reassembled encoded frames (recording); None stops them."""
        changed = sink != self._frame_sink
        self._frame_sink = sink
        if sink is not None and changed:
            self.request_keyframe()  # a video file starts on a keyframe

    def on_packet(self, packet: RtpPacket) -> None:
        """Ingress hook: one decrypted RTP packet from the publisher (the hot path)."""
        pt = packet.payload_type
        layer = 0
        if self._layer_of:
            if pt in self._rtx:
                media_ssrc = self._rtx_media.get(packet.ssrc)
                if media_ssrc is None or len(packet.payload) < 2:
                    return
                packet = unwrap_rtx(packet, payload_type=self._rtx[pt], ssrc=media_ssrc)
                self.repaired += 1
            elif pt != self._media_pt:
                return
            found = self._layer_of.get(packet.ssrc)
            if found is None:
                return  # an SSRC outside the declared layers: never forwarded
            layer = found
            self.layer_octets[layer] += len(packet.payload)
        elif pt == self._media_pt:
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
                self.keyframe_requesters[layer].on_keyframe()
                if self._layer_of and self.mime_type == "video/vp8":
                    size = vp8_keyframe_size(packet.payload)
                    if size is not None:
                        self.layer_heights[layer] = size[1]
        elif packet.extensions.audio_level is not None and self.forwarding:
            self._on_audio_level(self.publisher_id, packet.extensions.audio_level[1])
        if self.self_muted or self.server_muted:
            return
        # The per-leg loop, C or Python (sfu/native); each simulcast leg takes only its layer.
        if self._layer_of:
            native.fan_out(packet, self._leg_list, layer)
        else:
            native.fan_out(packet, self._leg_list)

    def sample_layers(self, now: float) -> None:
        """Update `layer_bps` from the bytes each layer brought since the last call."""
        octets = list(self.layer_octets)
        if self._sampled is not None:
            then, before = self._sampled
            elapsed = max(now - then, 1e-3)
            # Smoothed: an encoder's output per second varies a lot, and one
            # quiet second must not look like a layer switched off.
            self.layer_bps = tuple(
                old if layer in self.layer_pause.paused else 0.6 * old + 0.4 * (a - b) * 8 / elapsed
                for layer, (old, a, b) in enumerate(
                    zip(self.layer_bps, octets, before, strict=True)
                )
            )
        self._sampled = (now, octets)

    def _on_started(self) -> None:
        tap = rtp_receiver.tap_encoded_frames(self.transceiver.receiver)
        tap.hook = self._on_frame
        self._tap = tap

    def _on_frame(self, codec: Any, frame: Any) -> None:
        sink, captions = self._frame_sink, self.caption_sink
        if not self.forwarding or (sink is None and captions is None):
            return
        now = asyncio.get_running_loop().time()
        if sink is not None:
            sink(codec, frame, now)
        if captions is not None:
            captions(codec, frame, now)

    async def _send_pli(self, layer: int) -> None:
        ssrc = self.simulcast.ssrcs[layer] if self.simulcast else self.media_ssrc
        if ssrc is not None:
            await rtp_receiver.send_pli(self.transceiver.receiver, ssrc)

    async def send_bitrate_cap(self, bitrate: int) -> None:
        """Tell the publisher the most video bitrate it may send (REMB)."""
        if self.simulcast:
            ssrcs = list(self.simulcast.ssrcs)
        elif self.media_ssrc is not None:
            ssrcs = [self.media_ssrc]
        else:
            return
        await rtp_receiver.send_remb(self.transceiver.receiver, bitrate, ssrcs)

    async def close(self) -> None:
        """Stop the owned tasks and close every leg (idempotent)."""
        self.closed = True
        self._frame_sink = self.caption_sink = None
        for requester in self.keyframe_requesters:
            await requester.close()
        legs, self._legs, self._leg_list = list(self._legs.values()), {}, ()
        for leg in legs:
            await leg.close()
