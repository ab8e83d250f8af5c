"""Spoken test audio: espeak-ng says a sentence into a WAV file, an aiortc peer publishes it."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from aiortc import RTCSessionDescription
from aiortc.contrib.media import MediaPlayer

from tests.live.harness import LiveClient
from tests.sfu.conftest import client_pc


def speak_to_wav(sentence: str, path: Path) -> Path:
    """The sentence in espeak-ng's US English voice (slow, 130 words a minute)."""
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "130", "-w", str(path), sentence], check=True)
    return path


async def publish_wav(client: LiveClient, path: Path) -> tuple[Any, MediaPlayer]:
    """Join media on the live channel and publish the WAV file as the microphone (real time)."""
    ack = await client.call("media", {"type": "join"})
    assert ack.get("ok"), ack
    player = MediaPlayer(str(path))
    pc = client_pc()
    assert player.audio is not None
    pc.addTransceiver(player.audio, direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    reply = await client.call("media", {"type": "publish", "sdp": pc.localDescription.sdp})
    assert reply.get("ok"), reply
    await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))
    return pc, player
