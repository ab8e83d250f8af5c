"""The room's connection-quality line and the "sound only" suggestion, on a really poor link.

The poor link is real: the SFU loses a third of the video packets it sends to Ann,
retransmissions included (a test-only wrapper around her video legs' datagram sink).
Her browser then decodes few frames and counts the loss in getStats; its receiver
reports tell the SFU, which sends her `link_quality {weak: true}`. Nothing is faked
in the page.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from playwright.async_api import Browser, Page, expect

from sfu.service import SfuService
from tests.live.harness import Server
from tests.web.people import check_page
from tests.web.test_media import (
    LIMIT_S,
    client_in_room,
    eventually,
    keeps_rising,
    leader_in_room,
    participant_id,
    sees,
    tile_stats,
)

WAIT_MS = LIMIT_S * 1000
GOOD = "Connection: good"
WEAK = "Connection: weak — video may freeze"
SUGGESTION = "Your connection is weak. Sound only may work better."


class LossyLink:
    """Stands in for a leg's datagram sink: loses `share` of the packets for good.

    A lost packet's retransmission (the SFU answering a NACK) is lost too, as on a
    link whose loss outlasts the repair window; so the loss reaches the receiver.
    """

    def __init__(self, sink: Any, share: float, seed: int = 7) -> None:
        self.sink = sink
        self.share = share
        self.random = random.Random(seed)
        self.lost: set[int] = set()

    def ready(self) -> bool:
        return bool(self.sink.ready())

    def send(self, data: bytes) -> bool:
        seq = int.from_bytes(data[2:4], "big")
        if seq in self.lost or self.random.random() < self.share:
            self.lost.add(seq)
            return True  # gone on the way, as far as the sender can tell
        return bool(self.sink.send(data))


def sfu_participant(server: Server, session_id: str, pid: str) -> Any:
    sfu = server.services.sfu
    assert isinstance(sfu, SfuService)
    return sfu._rooms[session_id].participants[pid]


def make_video_lossy(server: Server, session_id: str, pid: str, share: float) -> int:
    """Wrap every video leg the SFU sends to `pid`; returns how many were wrapped."""
    legs = [
        leg for leg in sfu_participant(server, session_id, pid).legs.values() if leg.kind == "video"
    ]
    for leg in legs:
        if not isinstance(leg._sink, LossyLink):
            leg._sink = LossyLink(leg._sink, share)
    return len(legs)


# The page's own measure (media_quality.js) over two samples of its live connections.
OWN_SAMPLE = """
async (gapMs) => {
  const { LinkSampler } = await import("/static/js/media_quality.js");
  const open = window.__pcs.filter((pc) => pc.connectionState === "connected");
  const receiving = (pc) => pc.getTransceivers().some((t) => t.currentDirection === "recvonly");
  const sub = open.find(receiving) || null;
  const pub = open.find((pc) => !receiving(pc)) || null;
  const sampler = new LinkSampler();
  await sampler.measure(sub, pub);
  await new Promise((done) => setTimeout(done, gapMs));
  return sampler.measure(sub, pub);
}
"""


async def own_sample(page: Page) -> dict[str, Any]:
    found = await page.evaluate(OWN_SAMPLE, 3000)
    assert found is not None, "no connection to measure"
    return dict(found)


def quality(page: Page) -> Any:
    return page.locator("#conn-quality")


async def video_stopped_sound_goes_on(page: Page, pid: str) -> bool:
    before = await tile_stats(page, pid)
    await asyncio.sleep(1.5)
    after = await tile_stats(page, pid)
    return bool(
        after["video"]["bytes"] == before["video"]["bytes"]
        and after["audio"]["bytes"] > before["audio"]["bytes"]
    )


async def test_a_poor_link_is_shown_in_words_and_sound_only_is_offered_never_forced(
    media_server: Server, media_browser: Browser
) -> None:
    leader, (link, _) = await leader_in_room(media_browser, media_server, "Poor link group")
    ann = await client_in_room(media_browser, media_server, leader, link, "Ann", "green")
    ann_id, dana_id = await participant_id(leader, "Ann"), await participant_id(leader, "dana")
    session_id = leader.url.rsplit("/", 1)[-1]
    await sees(ann, dana_id, "red", "Ann sees dana")
    await sees(leader, ann_id, "green", "dana sees Ann")

    # A good loopback link says so, in words, with no suggestion.
    for page in (ann, leader):
        await expect(quality(page)).to_have_text(f"✓ {GOOD}", timeout=WAIT_MS)
        await expect(quality(page)).to_have_attribute("aria-live", "polite")
        await expect(page.get_by_text(SUGGESTION)).to_be_hidden()

    sample = await own_sample(ann)
    assert not sample["bad"] and sample["videoLoss"] < 0.02 and sample["rtt"] < 0.1, sample

    # Ann's link turns poor: a third of her video is lost on the way to her.
    assert make_video_lossy(media_server, session_id, ann_id, 0.35) == 1
    await expect(quality(ann)).to_contain_text(WEAK, timeout=WAIT_MS)
    await expect(ann.get_by_text(SUGGESTION)).to_be_visible()

    async def sfu_says_weak() -> bool:
        return bool(sfu_participant(media_server, session_id, ann_id).weak_link)

    await eventually(sfu_says_weak, bool, "the SFU to see Ann's link as weak too")
    sample = await own_sample(ann)  # and the browser's own measure sees it
    assert sample["bad"] and sample["videoLoss"] > 0.08, sample
    await expect(ann.get_by_label("Audio only")).not_to_be_checked()  # never switched by itself
    await check_page(ann, "22-connection-weak-suggestion")
    await expect(quality(leader)).to_contain_text(GOOD)  # dana's own link is still fine

    # One press turns on "Audio only", exactly like the tick box.
    await ann.get_by_role("button", name="Yes, use sound only").click()
    await expect(ann.get_by_label("Audio only")).to_be_checked()
    await expect(ann.get_by_label("Audio only")).to_be_focused()
    await expect(ann.get_by_text(SUGGESTION)).to_be_hidden()
    await expect(quality(ann)).to_contain_text("sound only is on")
    await expect(ann.locator(f'#videos [data-participant="{dana_id}"]')).to_contain_text(
        "audio only"
    )
    await eventually(
        lambda: video_stopped_sound_goes_on(ann, dana_id),
        bool,
        "Ann's video to stop while sound goes on",
    )
    # Only sound travels now, and it travels well.
    await expect(quality(ann)).to_have_text(f"✓ {GOOD} — sound only is on", timeout=WAIT_MS)
    await check_page(ann, "23-connection-sound-only")

    # Video back on the same poor link: the suggestion comes back; "No thanks" puts it away.
    await ann.get_by_label("Audio only").uncheck()
    await keeps_rising(ann, dana_id, "video", "bytes", "Ann's video back")
    await expect(quality(ann)).to_contain_text(WEAK, timeout=WAIT_MS)
    await expect(ann.get_by_text(SUGGESTION)).to_be_visible()
    await ann.get_by_role("button", name="No thanks").click()
    await expect(ann.get_by_text(SUGGESTION)).to_be_hidden()
    await asyncio.sleep(7)  # two more samples on the weak link: it stays put away
    await expect(ann.get_by_text(SUGGESTION)).to_be_hidden()
    await expect(quality(ann)).to_contain_text(WEAK)
    await expect(ann.get_by_label("Audio only")).not_to_be_checked()


async def test_a_dropped_connection_says_reconnecting_then_good_again(
    media_server: Server, media_browser: Browser
) -> None:
    leader, (link, _) = await leader_in_room(media_browser, media_server, "Dropped link group")
    ann = await client_in_room(media_browser, media_server, leader, link, "Ann", "green")
    dana_id = await participant_id(leader, "dana")
    await sees(ann, dana_id, "red", "Ann sees dana")
    await expect(quality(ann)).to_have_text(f"✓ {GOOD}", timeout=WAIT_MS)

    await ann.context.set_offline(True)
    await expect(quality(ann)).to_have_text("↻ Connection: trying again…", timeout=WAIT_MS)
    await ann.context.set_offline(False)
    await sees(ann, dana_id, "red", "Ann sees dana again")
    await expect(quality(ann)).to_have_text(f"✓ {GOOD}", timeout=WAIT_MS)
