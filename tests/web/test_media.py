"""Media in the browser: each person sees and hears the right others through the SFU.

Every page publishes a solid colour (a canvas stream) and a tone instead of the
fake camera, whose pattern is the same for everyone, so the pixels of each
remote tile tell whose video it really is.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from playwright.async_api import Browser, Locator, Page, expect

from tests.live.harness import Server
from tests.web.people import (
    DESKTOP,
    PHONE,
    admit,
    check_page,
    client_waits,
    clinician_signs_in,
    create_session,
    leader_opens_room,
    make_invite,
    new_page,
    open_tool,
)

# The first script's role play, its parts in the words the room shows them.
CLIENT_PART = "the client"
FRIEND_PART = "the curious friend who asks the question"
COLOURS = {"red": (230, 30, 30), "green": (30, 200, 30), "blue": (30, 30, 230)}
LIMIT_S = 30.0

# Test-only page set-up: keep every RTCPeerConnection for getStats(), and make
# getUserMedia a solid-colour 320x240 canvas at 15 fps plus a sine tone.
FAKE_DEVICES = """
(({ rgb, gain }) => {
  const pcs = (window.__pcs = []);
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) { super(...args); pcs.push(this); }
  };
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const tracks = [];
    if (constraints.video) {
      const canvas = document.createElement("canvas");
      canvas.width = 320;
      canvas.height = 240;
      const g = canvas.getContext("2d");
      let n = 0;
      const paint = () => {
        g.fillStyle = `rgb(${rgb})`;
        g.fillRect(0, 0, 320, 240);
        g.fillStyle = n++ % 2 ? "#000" : "#fff"; // a blinking corner keeps frames coming
        g.fillRect(0, 0, 8, 8);
      };
      paint();
      setInterval(paint, 66);
      tracks.push(...canvas.captureStream(15).getVideoTracks());
    }
    if (constraints.audio) {
      const ac = new AudioContext();
      const osc = ac.createOscillator();
      const level = ac.createGain();
      level.gain.value = gain;
      window.__tone = level.gain;
      const out = ac.createMediaStreamDestination();
      osc.connect(level).connect(out);
      osc.start();
      tracks.push(...out.stream.getAudioTracks());
    }
    return new MediaStream(tracks);
  };
})
"""

# Inbound counters of the tracks shown in one participant's tile.
TILE_STATS = """
async (pid) => {
  const tile = document.querySelector(`#videos [data-participant="${pid}"]`);
  if (!tile) return null;
  const out = {};
  for (const kind of ["video", "audio"]) {
    const track = tile.querySelector(kind).srcObject?.getTracks()[0];
    for (const pc of track ? window.__pcs : []) {
      const receiver = pc.getReceivers().find((r) => r.track === track);
      if (!receiver || pc.connectionState === "closed") continue;
      (await receiver.getStats()).forEach((s) => {
        if (s.type === "inbound-rtp") out[kind] = { frames: s.framesDecoded || 0, bytes: s.bytesReceived };
      });
    }
  }
  return out;
}
"""

# The centre pixel of a tile's video, as [r, g, b] (null before the first frame).
CENTRE_PIXEL = """
(pid) => {
  const video = document.querySelector(`#videos [data-participant="${pid}"] video`);
  if (!video || video.videoWidth === 0) return null;
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const g = canvas.getContext("2d");
  g.drawImage(video, 0, 0);
  return Array.from(g.getImageData(canvas.width >> 1, canvas.height >> 1, 1, 1).data.slice(0, 3));
}
"""

MEDIA_CLOSED = """
() => window.__pcs.length > 0
  && window.__pcs.every((pc) => pc.connectionState === "closed")
  && document.querySelectorAll("#videos video, #videos audio").length === 0
"""


async def page_with_colour(browser: Browser, server: Server, colour: str) -> Page:
    """A page whose camera shows one solid colour; its microphone a silent tone (`__tone`)."""
    page = await new_page(browser, server)
    rgb = ",".join(map(str, COLOURS[colour]))
    await page.add_init_script(f"({FAKE_DEVICES})({{rgb: '{rgb}', gain: 0}})")
    return page


async def eventually(
    read: Callable[[], Awaitable[Any]], holds: Callable[[Any], bool], what: str
) -> Any:
    """Poll until `holds(value)`; fail after a generous limit (never a timed assertion)."""
    deadline = time.monotonic() + LIMIT_S
    value = await read()
    while not holds(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last value: {value!r}")
        await asyncio.sleep(0.25)
        value = await read()
    return value


def nearest_colour(rgb: list[int]) -> str:
    return min(
        COLOURS, key=lambda c: sum((a - b) ** 2 for a, b in zip(COLOURS[c], rgb, strict=True))
    )


async def tile_stats(page: Page, pid: str) -> dict[str, Any]:
    return await page.evaluate(TILE_STATS, pid) or {}


async def counter(page: Page, pid: str, kind: str, field: str) -> int:
    return int((await tile_stats(page, pid)).get(kind, {}).get(field, 0))


async def keeps_rising(page: Page, pid: str, kind: str, field: str, what: str) -> None:
    start = await eventually(lambda: counter(page, pid, kind, field), lambda n: n > 0, what)
    await eventually(lambda: counter(page, pid, kind, field), lambda n: n > start, what)


async def sees(page: Page, pid: str, colour: str, what: str) -> None:
    """Video frames from `pid` keep decoding on `page`, in `pid`'s colour; sound arrives too."""
    await keeps_rising(page, pid, "video", "frames", f"{what}: frames decoded")
    await keeps_rising(page, pid, "audio", "bytes", f"{what}: audio received")
    pixel = await eventually(
        lambda: page.evaluate(CENTRE_PIXEL, pid),
        lambda rgb: rgb is not None and nearest_colour(rgb) == colour,
        f"{what}: {colour} pixels",
    )
    assert nearest_colour(pixel) == colour


async def leader_in_room(browser: Browser, server: Server, title: str) -> tuple[Page, list[str]]:
    """A leader (publishing red) in a new session's room, and two client links."""
    leader = await page_with_colour(browser, server, "red")
    await clinician_signs_in(server, leader)
    await create_session(leader, title)
    links = [await make_invite(leader, 1), await make_invite(leader, 2)]
    await leader_opens_room(leader, title)
    return leader, links


async def client_in_room(
    browser: Browser, server: Server, leader: Page, link: str, name: str, colour: str
) -> Page:
    page = await page_with_colour(browser, server, colour)
    await client_waits(page, link, name)
    await admit(leader, name)
    await expect(page.locator("#room")).to_be_visible()
    return page


def tile(page: Page, pid: str) -> Locator:
    """One remote person's tile in the video area."""
    return page.locator(f'#videos [data-participant="{pid}"]')


async def participant_id(leader: Page, name: str) -> str:
    """Whose id is whose, from the leader's list of people."""
    row = leader.locator("#people-list li[data-participant]", has_text=name)
    return str(await row.get_attribute("data-participant"))


async def test_three_people_see_and_hear_the_right_others_until_the_end(
    media_server: Server, media_browser: Browser
) -> None:
    leader, (first, second) = await leader_in_room(media_browser, media_server, "Media group")
    ann = await client_in_room(media_browser, media_server, leader, first, "Ann", "green")
    ben = await client_in_room(media_browser, media_server, leader, second, "Ben", "blue")
    ids = {name: await participant_id(leader, name) for name in ("dana", "Ann", "Ben")}
    colour_of = {"dana": "red", "Ann": "green", "Ben": "blue"}
    pages = {"dana": leader, "Ann": ann, "Ben": ben}

    for viewer, page in pages.items():
        for name, pid in ids.items():
            if name == viewer:
                continue
            await sees(page, pid, colour_of[name], f"{viewer} sees {name}")
            await expect(tile(page, pid).locator(".who")).to_have_text(name)
        await expect(page.locator("#videos [data-participant]")).to_have_count(2)

    await check_page(ann, "20-media-tiles")

    # Ben starts talking (a tone): the others see his tile marked in words.
    await ben.evaluate("window.__tone.value = 0.5")
    for page in (leader, ann):
        await expect(tile(page, ids["Ben"])).to_contain_text("speaking")
    await ben.evaluate("window.__tone.value = 0")

    await role_play_puts_its_players_first(leader, ann, ben, ids)

    await leader.get_by_role("button", name="End the session").click()
    await leader.get_by_role("button", name="Yes, end it for everyone").click()
    for page in pages.values():
        await page.wait_for_function(MEDIA_CLOSED)


async def box(tile: Locator) -> dict[str, float]:
    """Where a tile's picture is on the page (its caption may wrap, the picture keeps its shape)."""
    found = await tile.locator(".picture").bounding_box()
    assert found is not None
    return found


async def spotlight_shown(page: Page, players: dict[str, str], others: int) -> None:
    """The players' tiles come first, with their role, and are larger than everyone else's."""
    tiles = page.locator("#videos > .tile")
    await expect(tiles).to_have_count(len(players) + others)
    for i, (name, role) in enumerate(players.items()):
        await expect(tiles.nth(i)).to_contain_text(name)
        await expect(tiles.nth(i)).to_contain_text(f"playing: {role}")
    rest = [await box(tiles.nth(i)) for i in range(len(players), len(players) + others)]
    for i in range(len(players)):
        player = await box(tiles.nth(i))
        for other in rest:
            assert player["width"] > other["width"] * 1.5, (player, other)
            assert player["height"] > other["height"] * 1.5, (player, other)
            assert player["y"] < other["y"], (player, other)
    for i in range(len(players), len(players) + others):
        await expect(tiles.nth(i)).not_to_contain_text("playing:")


async def faces_first(page: Page, leader: str | None) -> None:
    """No role play: the group leader first and widest, your own picture last and small.

    ``leader``: the leader's name on others' pages; None on the leader's own page,
    where everyone else is the same size.
    """
    tiles = page.locator("#videos > .tile")
    await expect(page.locator("#videos .tile-role:not(:empty)")).to_have_count(0)
    await expect(tiles.last).to_have_class(re.compile(r"\bself\b"))
    boxes = [await box(t) for t in await tiles.all()]
    own, others = boxes[-1], boxes[:-1]
    for other in others:
        assert own["width"] < other["width"] / 2, (own, other)
    if leader is None:
        assert len({(round(b["width"]), round(b["height"])) for b in others}) == 1, others
        return
    await expect(tiles.first).to_contain_text(leader)
    assert all(others[0]["width"] > b["width"] * 1.5 for b in others[1:]), others


async def role_play_puts_its_players_first(
    leader: Page, ann: Page, ben: Page, ids: dict[str, str]
) -> None:
    """Ann and Ben play; every page shows them first and larger, and goes back at the end."""
    await open_tool(leader, "Role play")
    await leader.get_by_label('Who plays "client"?').select_option(label="Ann")
    await leader.get_by_label('Who plays "co-leader"?').select_option(label="Ben")
    await leader.get_by_role("button", name="Start role play").click()

    await spotlight_shown(ann, {"You": CLIENT_PART, "Ben": FRIEND_PART}, others=1)
    await spotlight_shown(ben, {"Ann": CLIENT_PART, "You": FRIEND_PART}, others=1)
    await spotlight_shown(leader, {"Ann": CLIENT_PART, "Ben": FRIEND_PART}, others=1)
    await expect(tile(ann, ids["dana"])).not_to_contain_text("playing")
    await check_page(ben, "21-media-role-play-spotlight")

    # On a phone the players take the whole width, the others go two by two.
    await ben.set_viewport_size(PHONE)
    await spotlight_shown(ben, {"Ann": CLIENT_PART, "You": FRIEND_PART}, others=1)
    width = await ben.evaluate("document.getElementById('videos').clientWidth")
    assert (await box(ben.locator("#videos > .tile").first))["width"] > width * 0.9
    await ben.set_viewport_size(DESKTOP)

    await leader.get_by_role("button", name="End the role play").click()
    await faces_first(leader, None)
    for page in (ann, ben):
        await faces_first(page, "dana")


async def test_audio_only_stops_video_but_not_sound_and_leaving_removes_the_tile(
    media_server: Server, media_browser: Browser
) -> None:
    leader, (link, _) = await leader_in_room(media_browser, media_server, "Weak link group")
    ann = await client_in_room(media_browser, media_server, leader, link, "Ann", "green")
    ann_id, dana_id = await participant_id(leader, "Ann"), await participant_id(leader, "dana")
    await sees(ann, dana_id, "red", "Ann sees dana")
    await sees(leader, ann_id, "green", "dana sees Ann")

    await ann.get_by_role("button", name="Microphone").click()
    await expect(tile(leader, ann_id)).to_contain_text("microphone off")
    await ann.get_by_role("button", name="Microphone").click()
    await expect(tile(leader, ann_id)).not_to_contain_text("microphone off")

    await ann.get_by_label("Audio only").check()

    await expect(tile(leader, ann_id)).to_contain_text("camera off")
    await expect(tile(ann, dana_id)).to_contain_text("audio only")

    async def video_still_audio_rising() -> bool:
        before = await tile_stats(ann, dana_id)
        await asyncio.sleep(1.5)
        after = await tile_stats(ann, dana_id)
        return (
            after["video"]["bytes"] == before["video"]["bytes"]
            and after["audio"]["bytes"] > before["audio"]["bytes"]
        )

    await eventually(video_still_audio_rising, bool, "Ann's video to stop while sound goes on")

    await ann.get_by_label("Audio only").uncheck()
    await keeps_rising(ann, dana_id, "video", "frames", "Ann's video back")

    await ann.get_by_role("button", name="Leave the session").click()
    await expect(tile(leader, ann_id)).to_have_count(0)
    await ann.wait_for_function(MEDIA_CLOSED)


async def test_media_comes_back_after_a_dropped_connection_and_a_media_server_move(
    media_server: Server, media_browser: Browser
) -> None:
    leader, (link, _) = await leader_in_room(media_browser, media_server, "Flaky link group")
    ann = await client_in_room(media_browser, media_server, leader, link, "Ann", "green")
    ann_id, dana_id = await participant_id(leader, "Ann"), await participant_id(leader, "dana")
    await sees(ann, dana_id, "red", "Ann sees dana")

    await ann.context.set_offline(True)
    await expect(tile(leader, ann_id)).to_have_count(0)  # the server saw Ann drop
    await ann.context.set_offline(False)

    await sees(ann, dana_id, "red", "Ann sees dana again")
    await sees(leader, ann_id, "green", "dana sees Ann again")

    # The media server moved (a worker died): everyone is told to join and publish again.
    before = await leader.evaluate("window.__pcs.length")
    session_id = leader.url.rsplit("/", 1)[-1]
    await media_server.services.channel.recorder.media.room_moved(session_id)
    await leader.wait_for_function("(n) => window.__pcs.length > n", arg=before)
    await sees(ann, dana_id, "red", "Ann sees dana after the move")
    await sees(leader, ann_id, "green", "dana sees Ann after the move")


async def test_an_observer_sees_and_hears_the_group_and_is_not_seen(
    media_server: Server, media_browser: Browser
) -> None:
    leader = await page_with_colour(media_browser, media_server, "red")
    await clinician_signs_in(media_server, leader)
    await create_session(leader, "Watched group")
    await leader.get_by_label("Role").select_option("observer")
    await leader.get_by_role("button", name="Make a link").click()
    link_box = leader.get_by_label("New link 1: Observer")
    await expect(link_box).to_have_value(re.compile(r"/join/"))
    link = await link_box.input_value()
    await leader_opens_room(leader, "Watched group")
    obi = await client_in_room(media_browser, media_server, leader, link, "Obi", "green")
    dana = await participant_id(leader, "dana")

    await sees(obi, dana, "red", "Obi sees dana")
    await expect(
        obi.get_by_text("You are watching. Your camera and microphone stay off.")
    ).to_be_visible()
    await expect(obi.locator("#videos .tile.self")).to_have_count(0)
    # The group never gets a picture of the person watching it.
    await leader.wait_for_timeout(2000)
    await expect(leader.locator("#videos [data-participant]")).to_have_count(0)
