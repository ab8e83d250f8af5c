"""Live captions' tap in the SFU: a captioned room's audio, decoded to 16 kHz mono PCM.

Nothing is decoded in a room without captions. In a captioned room each audio
forwarder's reassembled Opus frames are decoded and resampled here and handed to
the room's listener, which the SFU's owner supplies (imr_live/captions turns the
sound into text); the SFU knows no speech engine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import av

from sfu.aiortc_internals.rtp_receiver import decoder_for

logger = logging.getLogger(__name__)

RATE = 16_000
"""Sample rate of the PCM handed to listeners (what speech engines expect)."""

PcmListener = Callable[[str, bytes, float], None]
"""``listener(publisher_id, pcm, arrival)``: signed 16-bit mono PCM at ``RATE``."""
CaptionsHook = Callable[[str], PcmListener]
"""``hook(room_id)``: the listener of one room's audio, made when captions are turned on."""


class AudioTap:
    """Decodes one publisher's encoded audio frames for a listener (a forwarder's caption sink)."""

    def __init__(self, publisher_id: str, listener: PcmListener) -> None:
        self.publisher_id = publisher_id
        self.listener = listener
        self.frames = 0
        self._decoder: Any = None
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        self._failed = False

    def __call__(self, codec: Any, frame: Any, arrival: float) -> None:
        if self._decoder is None:
            self._decoder = decoder_for(codec)
        try:
            decoded = self._decoder.decode(frame)
            pcm = b"".join(
                bytes(out.planes[0])[: out.samples * 2]
                for audio in decoded
                for out in self._resampler.resample(audio)
            )
        except Exception:
            if not self._failed:
                logger.exception("captions: audio of %s not decoded", self.publisher_id)
                self._failed = True
            return
        self.frames += 1
        if pcm:
            self.listener(self.publisher_id, pcm, arrival)
