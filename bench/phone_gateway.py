"""Phone gateway: audio delay it adds, each way, and CPU per phone participant.

A server with the SFU, a leader's aiortc peer and a phone caller (SIPp for SIP, this
process as the handset's RTP, as in tests/phone) all run in this process. Each run
turns a tone on and times the first loud frame at the other end:

- caller -> room: the handset's 1 kHz tone, to the leader's decoded frames; baseline: an
  aiortc guest's tone, to the same leader;
- room -> caller: the leader's 440 Hz tone, to the handset's packets; baseline: the same
  tone to an aiortc guest's decoded frames.

"Added" = phone median - baseline median. CPU: this process's CPU share over 10 s with
the call up, minus 10 s before the call (server, SFU and the aiortc peers are in both).

    PYTHONPATH=$PWD python bench/phone_gateway.py [runs]
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from tests.live.harness import LiveClient, start_server
from tests.live.test_permissions import admitted_guest
from tests.phone.test_phone_gateway import (
    KEY,
    PIN,
    ListeningPeer,
    caller,
    gateway_for,
    goertzel_share,
)
from tests.sfu.conftest import eventually

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop


class TimedPeer(ListeningPeer):
    """Remembers when each publisher was first loud after ``arm``."""

    def __init__(self, client: LiveClient, pid: str) -> None:
        super().__init__(client, pid)
        self.first_loud: dict[str, float] = {}
        self.armed = False

    def arm(self) -> None:
        self.first_loud.clear()
        self.armed = True

    async def _consume(self, track: Any, mid: str | None) -> None:
        import av
        from aiortc.mediastreams import MediaStreamError

        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if not isinstance(frame, av.AudioFrame):
                continue
            publisher = self.mids.get(mid or "", "?")
            pcm = bytes(frame.planes[0])[: frame.samples * 2 * len(frame.layout.channels)]
            loud = audioop.rms(pcm, 2) > 300
            self.loudness.setdefault(publisher, []).append(loud)
            if loud and self.armed:
                self.first_loud.setdefault(publisher, time.monotonic())


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def cpu_share(seconds: float) -> float:
    start_cpu, start = cpu_s(), time.monotonic()
    await asyncio.sleep(seconds)
    return (cpu_s() - start_cpu) / (time.monotonic() - start)


async def main(runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        server = await start_server(Path(folder), sfu=True, phone_gateway_key=KEY)
        try:
            clinician = await server.staff("dana")
            sid = (await clinician.create_session())["id"]
            leader = await clinician.connect(sid)
            await leader.ok("join")
            status, made = await clinician.api(
                "POST", f"/api/sessions/{sid}/invites", json={"role": "client"}
            )
            pid = made["invite"]["id"]
            status, _ = await clinician.api(
                "PUT",
                f"/api/sessions/{sid}/invites/{pid}/phone",
                json={"pin": PIN, "display_name": "Pat"},
            )
            assert status == 200
            lead = TimedPeer(leader, clinician.id)
            await lead.join()
            await lead.publish(None, speaking=False)
            # an aiortc guest: the baseline on both paths
            ben, other_id = await admitted_guest(server, leader, await clinician.invite(sid), "Ben")
            other = TimedPeer(ben, other_id)
            await other.join()
            await other.publish(None, speaking=False)
            idle = await cpu_share(10)

            async with (
                gateway_for(server) as (gateway, sipp_port),
                caller(gateway, sipp_port, "caller_hangs_up.xml", hold_ms=600000) as (phone, _s),
            ):
                stamps: list[float] = []
                original = phone.datagram_received

                def timed(data: bytes, addr: tuple[str, int]) -> None:
                    original(data, addr)
                    if len(phone.heard) > len(stamps):
                        stamps.append(time.monotonic())

                phone.datagram_received = timed  # type: ignore[method-assign]
                await eventually(lambda: phone.loud() > 10, 30, "welcome")
                await phone.press(PIN + "#")
                await phone.press("1")
                await leader.wait_event("participant.joined", participant=pid)
                await leader.ok("waiting.admit", {"participant": pid})
                await eventually(lambda: "You are in" in " ".join(gateway.prompts.said), 30)

                def handset_quiet(n: int = 50) -> bool:
                    return len(phone.heard) > n and all(
                        audioop.rms(p, 2) < 300 for p in phone.heard[-n:]
                    )

                await eventually(handset_quiet, 60, "the prompts to end")
                busy = await cpu_share(10)

                up_phone, up_base, down_phone, down_base = [], [], [], []
                for _ in range(runs):
                    # caller -> room
                    await eventually(lambda: lead.quiet_lately(pid), 30)
                    lead.arm()
                    t0 = time.monotonic()
                    phone.talking = True
                    await eventually(lambda: pid in lead.first_loud, 30)
                    up_phone.append(lead.first_loud[pid] - t0)
                    phone.talking = False
                    await eventually(lambda: lead.quiet_lately(other_id), 30)
                    lead.arm()
                    t0 = time.monotonic()
                    assert other.tone is not None
                    other.tone.speaking = True
                    await eventually(lambda: other_id in lead.first_loud, 30)
                    up_base.append(lead.first_loud[other_id] - t0)
                    other.tone.speaking = False
                    # room -> caller (and the baseline guest)
                    await eventually(handset_quiet, 30)
                    await eventually(lambda: other.quiet_lately(lead.id), 30)
                    other.arm()
                    mark = len(phone.heard)
                    t0 = time.monotonic()
                    assert lead.tone is not None
                    lead.tone.speaking = True

                    def heard_tone(mark: int = mark) -> bool:
                        return any(
                            audioop.rms(p, 2) > 300 and goertzel_share(p, 440) > 0.6
                            for p in phone.heard[mark:]
                        )

                    await eventually(heard_tone, 30)
                    await eventually(lambda: lead.id in other.first_loud, 30)
                    first = next(
                        i
                        for i in range(mark, len(phone.heard))
                        if audioop.rms(phone.heard[i], 2) > 300
                    )
                    down_phone.append(stamps[first] - t0)
                    down_base.append(other.first_loud[lead.id] - t0)
                    lead.tone.speaking = False
                    await asyncio.sleep(0.5)

            def ms(xs: list[float]) -> float:
                return 1000 * statistics.median(xs)

            print(f"runs: {runs}")
            print(
                "| path | phone median ms | aiortc baseline median ms | added by the gateway ms |"
            )
            print("|---|---|---|---|")
            print(
                f"| caller -> room | {ms(up_phone):.0f} | {ms(up_base):.0f} | {ms(up_phone) - ms(up_base):.0f} |"
            )
            print(
                f"| room -> caller | {ms(down_phone):.0f} | {ms(down_base):.0f} | {ms(down_phone) - ms(down_base):.0f} |"
            )
            print(
                f"CPU (one core = 100 %): before the call {100 * idle:.1f} %, with it {100 * busy:.1f} %, per phone participant {100 * (busy - idle):.1f} %"
            )
            await lead.close()
            await other.close()
        finally:
            await server.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
