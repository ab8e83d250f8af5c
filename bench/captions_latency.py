"""Live captions: speech end to caption, through the SFU's tap and the default engine.

An aiortc peer publishes a sentence spoken by espeak-ng into an in-process SFU
room with captions on. For each caption the captioner delivers, the figure is
the time from the last loud audio frame reaching the SFU (the speaker stopped)
to the caption's text being ready to send. Baseline, in the same process: the
engine alone recognising the same sentence's PCM (no SFU, no pauses to wait
for). The difference is mostly the pause (0.5 s) that says the speaker stopped.

    PYTHONPATH=$PWD python bench/captions_latency.py [runs]
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
from aiortc import RTCSessionDescription
from aiortc.contrib.media import MediaPlayer

from imr_live.captions.captioner import Captioner
from imr_live.captions.engine import PocketSphinx
from sfu.config import SfuConfig
from sfu.service import SfuService
from tests.sfu.conftest import client_pc

SENTENCE = "hello everyone welcome to the group"


def pcm_of(path: Path) -> bytes:
    resampler = av.AudioResampler(format="s16", layout="mono", rate=16_000)
    with av.open(str(path)) as container:
        return b"".join(
            bytes(out.planes[0])[: out.samples * 2]
            for frame in container.decode(audio=0)
            for out in resampler.resample(frame)
        )


async def one_run(wav: Path, engine: PocketSphinx, tmp: Path) -> list[tuple[float, str]]:
    results: list[tuple[float, str]] = []
    done = asyncio.Event()

    async def deliver(_room: str, _pid: str, text: str, speech_end: float) -> None:
        results.append((asyncio.get_running_loop().time() - speech_end, text))
        done.set()

    captioner = Captioner(engine, deliver)

    async def emit(_room: str, _pid: str, _event: dict[str, object]) -> None:
        return None

    sfu = SfuService(SfuConfig(recordings_dir=tmp), emit, captioner.listener_for)
    await sfu.handle("bench", "speaker", {"type": "join"})
    await sfu.handle("bench", "speaker", {"type": "captions", "on": True})
    pc = client_pc()
    player = MediaPlayer(str(wav))
    assert player.audio is not None
    pc.addTransceiver(player.audio, direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    reply = await sfu.handle(
        "bench", "speaker", {"type": "publish", "sdp": pc.localDescription.sdp}
    )
    await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))
    try:
        await asyncio.wait_for(done.wait(), 120)
        await asyncio.sleep(3)  # later captions of the same sentence, if it was cut
    finally:
        await pc.close()
        await sfu.close()
        await captioner.close()
    return results


async def main(runs: int) -> None:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        wav = tmp / "said.wav"
        subprocess.run(
            ["espeak-ng", "-v", "en-us", "-s", "130", "-w", str(wav), SENTENCE], check=True
        )
        engine = PocketSphinx()
        engine.load()
        pcm = pcm_of(wav)
        alone = []
        for _ in range(runs):
            started = time.perf_counter()
            text = engine.transcribe(pcm)
            alone.append(time.perf_counter() - started)
        print(
            f"engine alone on {len(pcm) / 32000:.2f} s of speech: median {statistics.median(alone):.3f} s ({text!r})"
        )
        latencies = []
        for run in range(runs):
            results = await one_run(wav, engine, tmp)
            for latency, said in results:
                print(f"run {run + 1}: {latency:.3f} s speech end -> caption ({said!r})")
                latencies.append(latency)
        median = statistics.median(latencies)
        print(
            f"speech end -> caption: median {median:.3f} s over {len(latencies)} captions "
            f"(target < 2 s); {median / statistics.median(alone):.1f}x the engine alone"
        )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3))
