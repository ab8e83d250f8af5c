"""The leader's session tools with the media server running: recording only when someone
agreed (and said plainly when nobody did), turning a person's sound off for everyone,
and the lock in words."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from tests.live.harness import Server
from tests.web.people import (
    admit,
    check_page,
    client_admitted,
    client_waits,
    leader_with_two_links,
    new_page,
)
from tests.web.test_leader_tools import logged, session_id


@pytest.fixture
def server(media_server: Server) -> Server:
    """This module's server runs the SFU: recording and server mute go through it."""
    return media_server


async def person_id(leader: Page, name: str) -> str:
    row = leader.locator("#people-list li[data-participant]", has_text=name)
    return str(await row.get_attribute("data-participant"))


async def in_media(leader: Page, pid: str) -> None:
    """Wait until the leader's page shows this person's video tile (both joined the SFU)."""
    await expect(leader.locator(f'#videos [data-participant="{pid}"]')).to_have_count(1)


async def test_recording_waits_for_consent_and_records_only_who_agreed(
    server: Server, browser: Browser
) -> None:
    leader, first, second = await leader_with_two_links(server, browser, "Recorded group")
    sid = session_id(leader)
    record = leader.get_by_role("button", name="Start recording")
    await expect(leader.locator("#record-consent")).to_have_text(
        "Nobody here has agreed to be recorded, so recording cannot start."
        " Everyone is asked when they join."
    )
    await expect(record).to_be_disabled()

    sam = await new_page(browser, server)
    await client_waits(sam, second, "Sam", consent=False)
    await admit(leader, "Sam")
    await expect(record).to_be_disabled()
    ann = await client_admitted(browser, server, leader, first, "Ann")
    await expect(leader.locator("#record-consent")).to_have_text(
        "Agreed to be recorded: Ann. Only they are recorded."
    )
    await in_media(leader, await person_id(leader, "Ann"))
    await check_page(leader, "40-leader-recording-ready")

    await record.click()
    await expect(leader.locator("#record-state")).to_have_text("● Recording is on.")
    for page in (ann, sam):
        await expect(page.locator("#room-status")).to_contain_text("Recording is on")
    [started] = await logged(server, sid, "recording.started")
    assert started["participants"] == [await person_id(leader, "Ann")]
    await check_page(leader, "41-leader-recording-on")

    await leader.get_by_role("button", name="Stop recording").click()
    await expect(leader.locator("#record-state")).to_have_text("Recording is off.")
    await expect(ann.locator("#room-status")).not_to_contain_text("Recording is on")
    assert len(await logged(server, sid, "recording.stopped")) == 1


async def test_leader_turns_a_sound_off_for_everyone_and_locks_the_room(
    server: Server, browser: Browser
) -> None:
    leader, link, _ = await leader_with_two_links(server, browser, "Noisy group")
    sid = session_id(leader)
    ann = await client_admitted(browser, server, leader, link, "Ann")
    ann_id = await person_id(leader, "Ann")
    await in_media(leader, ann_id)

    await leader.get_by_role("button", name="Turn off Ann's sound for everyone").click()
    await expect(
        ann.get_by_text("The leader turned off your microphone for everyone.")
    ).to_be_visible()
    # Her own button tells the truth: nobody hears her, whatever her microphone does.
    await expect(ann.locator("#btn-mic")).to_have_text("Microphone off (the leader turned it off)")
    await expect(ann.locator("#btn-mic")).to_have_attribute("aria-pressed", "false")
    await expect(leader.locator("#people-list")).to_contain_text("sound turned off for everyone")
    await check_page(leader, "42-leader-sound-off")
    await check_page(ann, "43-client-sound-off")

    # Reloaded pages know from the state snapshot: the leader is offered to undo it,
    # Ann's tile says her microphone is off, and Ann is told again.
    await leader.reload()
    await expect(leader.get_by_role("button", name="Let everyone hear Ann again")).to_be_visible()
    await expect(
        leader.get_by_role("button", name="Turn off Ann's sound for everyone")
    ).to_have_count(0)
    await expect(leader.locator("#people-list")).to_contain_text("sound turned off for everyone")
    await in_media(leader, ann_id)
    await expect(leader.locator(f'#videos [data-participant="{ann_id}"]')).to_contain_text(
        "microphone off"
    )
    await ann.reload()
    await expect(
        ann.get_by_text("The leader has turned off your microphone for everyone.")
    ).to_be_visible()
    await expect(ann.locator("#btn-mic")).to_have_text("Microphone off (the leader turned it off)")
    await leader.get_by_role("button", name="Let everyone hear Ann again").click()
    await expect(ann.get_by_text("The leader turned your microphone back on.")).to_be_visible()
    await expect(ann.get_by_text("The leader has turned off your microphone")).to_have_count(0)
    await expect(ann.locator("#btn-mic")).to_have_text("Microphone on")
    await expect(ann.locator("#btn-mic")).to_have_attribute("aria-pressed", "true")
    muted = await logged(server, sid, "media.muted")
    assert [(m["participant"], m["kind"], m["muted"]) for m in muted] == [
        (ann_id, "audio", True),
        (ann_id, "audio", False),
    ]

    await expect(leader.locator("#lock-state")).to_have_text(
        "The room is open: new people can ask to come in."
    )
    await leader.get_by_role("button", name="Lock the room").click()
    await expect(leader.locator("#lock-state")).to_have_text(
        "The room is locked: nobody new can come in."
    )
    await expect(ann.locator("#room-status")).to_contain_text("The room is locked")
    assert [e["locked"] for e in await logged(server, sid, "session.locked")] == [True]
    await check_page(leader, "44-leader-room-locked")
