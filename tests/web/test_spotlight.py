"""Who is shown large: each person may choose a video ("Show large", on their page only), the
lead clinician may show one person large for everyone (logged); and the slide can be small
beside the faces or large. On a phone (360x740) and a desktop, with real media via the SFU.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import Browser, Locator, Page, expect

from tests.live.harness import Server
from tests.web.people import PHONE, admit, check_page, client_waits
from tests.web.test_media import (
    client_in_room,
    eventually,
    leader_in_room,
    page_with_colour,
    participant_id,
    tile,
)
from tests.web.test_room_layout import PLAYING, RECT


async def box(node: Locator) -> dict[str, Any]:
    return dict(await node.evaluate(RECT))


async def shown_large(page: Page, pid: str) -> None:
    """`pid`'s tile is the large one: first, across the video area, its video playing."""
    big = tile(page, pid)
    await expect(big).to_have_class(re.compile(r"\bbig\b"))
    await expect(page.locator("#videos > .tile").first).to_have_attribute("data-participant", pid)
    await eventually(lambda: big.locator("video").evaluate(PLAYING), bool, f"{pid} plays")
    area = await box(page.locator("#videos"))
    seen = await box(big.locator("video"))
    assert seen["width"] >= 0.85 * area["width"], (seen, area)
    # On the first screen, no scrolling (scrolled into view, its top may sit a fraction
    # of a pixel above the edge).
    assert -1 < seen["top"] < seen["vh"], seen
    for other in await page.locator("#videos > .tile:not(.big):not(.self)").all():
        small = await box(other.locator(".picture"))
        assert small["width"] <= 0.5 * seen["width"], (small, seen)


async def test_pin_a_video_and_the_lead_spotlights_someone_for_everyone(
    media_server: Server, media_browser: Browser
) -> None:
    leader, (first, second) = await leader_in_room(media_browser, media_server, "Pin group")
    alex = await client_in_room(media_browser, media_server, leader, first, "Alex", "green")
    sam = await page_with_colour(media_browser, media_server, "blue")
    await sam.set_viewport_size(PHONE)
    await client_waits(sam, second, "Sam")
    await admit(leader, "Sam")
    ids = {name: await participant_id(leader, name) for name in ("dana", "Alex", "Sam")}
    sid = leader.url.rstrip("/").split("/")[-1]

    # Sam, on a phone, sees the leader large; he chooses Alex instead, on his page only.
    await shown_large(sam, ids["dana"])
    await sam.get_by_role("button", name="Show Alex large").click()
    await expect(sam.get_by_role("button", name="Show Alex large")).to_have_attribute(
        "aria-pressed", "true"
    )
    await shown_large(sam, ids["Alex"])
    await shown_large(alex, ids["dana"])  # Alex's own screen did not change

    # Only the lead clinician can show someone large for everyone.
    await expect(alex.get_by_role("button", name="Show Sam large for everyone")).to_be_hidden()
    await leader.get_by_role("button", name="Show Sam large for everyone").click()
    await shown_large(alex, ids["Sam"])
    await shown_large(leader, ids["Sam"])
    await expect(tile(alex, ids["Sam"])).to_contain_text("shown large for everyone")
    await shown_large(sam, ids["Alex"])  # his own choice comes first on his page
    await sam.get_by_role("button", name="Show Alex large").click()
    await shown_large(sam, ids["dana"])  # Sam himself is the spotlight: his page shows the leader
    rows = [e for e in await media_server.services.log.read(sid) if e.kind == "video.spotlighted"]
    assert [r.data for r in rows] == [{"participant": ids["Sam"]}]
    await check_page(alex, "72-client-sees-spotlight")

    # A reload keeps the spotlight; pressed again, it ends for everyone.
    await alex.reload()
    await shown_large(alex, ids["Sam"])
    await leader.get_by_role("button", name="Show Sam large for everyone").click()
    await shown_large(alex, ids["dana"])


async def test_slide_small_beside_faces_or_large_on_phone_and_desktop(
    media_server: Server, media_browser: Browser
) -> None:
    leader, (first, _) = await leader_in_room(media_browser, media_server, "Slide group")
    alex = await client_in_room(media_browser, media_server, leader, first, "Alex", "green")
    await leader.get_by_role("button", name="Next slide").click()
    await expect(alex.locator("#slide-position")).to_contain_text("Slide 1 of")
    dana = alex.get_by_label("Video of dana")
    await eventually(lambda: dana.evaluate(PLAYING), bool, "the leader's video plays")
    slide = alex.locator("#slide")

    # Desktop: the slide small beside the faces, then large with the faces smaller.
    face, page = await box(dana), await box(slide)
    assert page["left"] >= face["right"] and page["width"] < face["width"], (face, page)
    await alex.get_by_role("button", name="Make the slide bigger").click()
    face, page = await box(dana), await box(slide)
    assert page["left"] >= face["right"] and page["width"] > face["width"], (face, page)
    await check_page(alex, "73-client-large-slide")

    # Phone: large, the slide comes first and the faces are smaller; small, faces first.
    await alex.set_viewport_size(PHONE)
    face, page = await box(dana), await box(slide)
    assert page["bottom"] <= face["top"] and face["width"] <= 0.65 * face["vw"], (face, page)
    await alex.reload()  # the choice is kept in this browser
    await expect(alex.get_by_role("button", name="Make the slide smaller")).to_be_visible()
    await alex.get_by_role("button", name="Make the slide smaller").click()
    await eventually(lambda: dana.evaluate(PLAYING), bool, "the leader's video plays again")
    face, page = await box(dana), await box(slide)
    assert face["bottom"] <= face["vh"] and face["width"] >= 0.85 * face["vw"], face
    assert page["top"] >= face["bottom"], (face, page)
