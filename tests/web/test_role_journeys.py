"""The supporter, the observer and the admin, each on their own path: how they arrive, where
they land, what they see (and do not), how they leave; a wrong path gets plain words."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from imr_live.domain.roles import StaffRole
from tests.live.harness import Server, Staff
from tests.web.people import PHONE, admit, check_page, client_waits, new_page
from tests.web.test_staff_home import signs_in


async def leader_in_room(server: Server, browser: Browser) -> tuple[Staff, str, Page]:
    """dana (clinician) with a new session, in its room in the browser."""
    dana = await server.staff("dana")
    sid = str((await dana.create_session(title="Tuesday group"))["id"])
    leader = await new_page(browser, server)
    await signs_in(leader, "dana")
    await expect(leader.get_by_role("heading", name="My sessions")).to_be_visible()
    await leader.goto(f"/room/{sid}")
    await expect(leader.get_by_role("heading", name="Waiting room")).to_be_visible()
    return dana, sid, leader


async def sees_no_lead_or_client_tools(page: Page) -> None:
    await expect(page.get_by_role("tablist", name="Leader tools")).to_have_count(0)
    await expect(page.get_by_role("heading", name="Waiting room")).to_be_hidden()
    await expect(page.get_by_role("heading", name="How am I doing?")).to_be_hidden()
    await expect(page.get_by_role("heading", name="My home practice and goals")).to_be_hidden()
    await expect(page.get_by_role("button", name="Next slide")).to_be_hidden()
    await expect(page.get_by_role("button", name="End the session")).to_be_hidden()


async def test_supporter_comes_by_link_on_a_phone_takes_part_and_leaves(
    server: Server, browser: Browser
) -> None:
    dana, sid, leader = await leader_in_room(server, browser)
    token = await dana.invite(sid, role="supporter")
    pat = await new_page(browser, server, phone=True)
    await client_waits(pat, f"/join/{token}", "Pat")
    await expect(leader.locator("#waiting-list")).to_contain_text("Pat (supporter)")
    await admit(leader, "Pat")

    await expect(pat.get_by_role("heading", name="Tuesday group")).to_be_visible()
    await sees_no_lead_or_client_tools(pat)
    await expect(
        pat.get_by_role("heading", name="Before we start: how to reach you")
    ).to_be_hidden()
    await expect(pat.locator("#room-role")).to_be_hidden()
    await pat.get_by_role("button", name="Raise hand").click()
    await expect(leader.locator("#hands-list")).to_contain_text("Pat has a hand up")
    await pat.get_by_label("Message").fill("Hello from Pat")
    await pat.get_by_role("button", name="Send").click()
    await expect(leader.locator("#chat-log")).to_contain_text("Pat: Hello from Pat")
    assert await pat.evaluate("document.documentElement.scrollWidth <= innerWidth")
    await check_page(pat, "80-supporter-room")

    await pat.get_by_role("button", name="Leave").click()
    await expect(pat.get_by_role("heading", name="You left the session")).to_be_visible()
    await expect(pat.get_by_role("button", name="Go back in")).to_be_visible()
    await expect(pat.get_by_role("link", name="Back to my sessions")).to_have_count(0)

    # Wrong paths: the staff pages ask for a sign-in; a link turned off says so.
    await pat.goto(f"/room/{sid}")
    await expect(pat.get_by_role("heading", name="Staff sign in")).to_be_visible()
    invite_id = token.partition(".")[0]
    assert (await dana.api("DELETE", f"/api/sessions/{sid}/invites/{invite_id}"))[0] < 300
    await pat.goto(f"/join/{token}")
    await expect(pat.get_by_role("heading", name="This link no longer works")).to_be_visible()


async def test_observer_comes_by_link_watches_and_cannot_take_part(
    server: Server, browser: Browser
) -> None:
    dana, sid, leader = await leader_in_room(server, browser)
    token = await dana.invite(sid, role="observer")
    obi = await new_page(browser, server)
    await client_waits(obi, f"/join/{token}", "Obi")
    await admit(leader, "Obi")

    await expect(obi.get_by_role("heading", name="Tuesday group")).to_be_visible()
    await expect(obi.locator("#room-role")).to_have_text(
        "You are here to watch and listen. The chat and raised hands are for the group."
    )
    await sees_no_lead_or_client_tools(obi)
    await expect(obi.get_by_role("button", name="Raise hand")).to_be_hidden()
    await expect(obi.get_by_label("Message")).to_be_hidden()
    await leader.get_by_label("Message").fill("Welcome, everyone")
    await leader.get_by_role("button", name="Send").click()
    await expect(obi.locator("#chat-log")).to_contain_text("dana: Welcome, everyone")
    await check_page(obi, "81-observer-room")

    await obi.get_by_role("button", name="Leave").click()
    await expect(obi.get_by_role("heading", name="You left the session")).to_be_visible()

    # Wrong path: the link after the session has ended says so.
    await leader.get_by_role("button", name="End the session").click()
    await leader.get_by_role("button", name="Yes, end it for everyone").click()
    await expect(leader.get_by_role("heading", name="The session has ended")).to_be_visible()
    await obi.goto(f"/join/{token}")
    await expect(obi.get_by_role("heading", name="This session has ended")).to_be_visible()


async def test_admin_signs_in_to_the_report_watches_a_room_and_goes_back(
    server: Server, browser: Browser
) -> None:
    _dana, sid, leader = await leader_in_room(server, browser)
    await server.staff("ada", StaffRole.ADMIN)
    ada = await new_page(browser, server)

    await ada.goto("/login")
    await ada.get_by_label("Username").fill("ada")
    await ada.get_by_label("Password").fill("not the password")
    await ada.get_by_role("button", name="Sign in").click()
    await expect(ada.get_by_role("alert")).to_contain_text("password")
    await signs_in(ada, "ada")
    await expect(ada.get_by_role("heading", name="Program report")).to_be_visible()

    await ada.goto(f"/room/{sid}")
    await expect(ada.get_by_role("heading", name="Tuesday group")).to_be_visible()
    await expect(ada.locator("#room-role")).to_contain_text("You are here as a supervisor")
    await sees_no_lead_or_client_tools(ada)
    await expect(ada.get_by_label("Message")).to_be_hidden()
    await expect(leader.locator("#people-list")).to_contain_text("ada")
    await check_page(ada, "82-admin-in-a-room")
    await ada.get_by_role("button", name="Leave").click()
    await ada.get_by_role("link", name="Back to the program report").click()
    await expect(ada.get_by_role("heading", name="Program report")).to_be_visible()

    # Wrong path: a clinician who does not lead the session is told so in words.
    await server.staff("eli")
    eli = await new_page(browser, server, phone=True)
    await signs_in(eli, "eli")
    await expect(eli.get_by_role("heading", name="My sessions")).to_be_visible()
    await eli.goto(f"/room/{sid}")
    await expect(eli.get_by_role("heading", name="You cannot join right now")).to_be_visible()
    await expect(eli.locator("#gone-text")).to_have_text(
        "This session is not one of yours. Ask the clinician who leads it to add you."
    )
    await expect(eli.get_by_role("link", name="Back to my sessions")).to_be_visible()
    assert eli.viewport_size == PHONE
    await check_page(eli, "83-clinician-not-in-this-session")
