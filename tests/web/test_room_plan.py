"""The leads' one-tap view of a client's plan in the room (issue #15), in Chromium.

Dana has written Ann's plan to stay well. In the room she picks Ann and opens
the plan; for Ben there is none yet. Ann's page shows no such panel.
"""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.live.harness import Server
from tests.reports.test_review_pages import signed_in
from tests.web.people import admit, check_page, client_waits, new_page

PLAN = {"warning_signs": ["I stop sleeping well"], "my_steps": ["Call my clinician"]}


async def test_a_lead_opens_a_clients_plan_in_the_room(server: Server, browser: Browser) -> None:
    dana = await server.staff("dana")
    sid = (await dana.create_session(title="Tuesday group"))["id"]
    ann_link = f"{server.url}/join/{await dana.invite(sid, client_ref='C-001')}"
    ben_link = f"{server.url}/join/{await dana.invite(sid, client_ref='C-002')}"
    status, _ = await dana.api(
        "PUT", "/api/clients/C-001/plans/relapse_prevention", json={"content": PLAN}
    )
    assert status == 200
    leader = await signed_in(browser, server, dana)
    await leader.goto(f"/room/{sid}")
    await expect(leader.get_by_role("heading", name="Waiting room")).to_be_visible()
    ann = await new_page(browser, server)
    await client_waits(ann, ann_link, "Ann")
    await admit(leader, "Ann")
    ben = await new_page(browser, server)
    await client_waits(ben, ben_link, "Ben")
    await admit(leader, "Ben")

    panel = leader.get_by_role("region", name="Client plans")
    await panel.get_by_text("Client plans").click()  # one tap opens the panel
    await panel.get_by_label("Client").select_option(label="Ann")
    await panel.get_by_role("button", name="Open the safety plan").click()
    await expect(
        panel.get_by_role("heading", name="My plan to stay well (Ann, version 1)")
    ).to_be_visible()
    await expect(panel.get_by_role("listitem")).to_have_text(
        ["I stop sleeping well", "Call my clinician"]
    )
    await check_page(leader, "room-plan")
    await panel.get_by_label("Client").select_option(label="Ben")
    await panel.get_by_role("button", name="Open the safety plan").click()
    await expect(panel.get_by_text("No plan written yet for Ben.")).to_be_visible()

    await expect(ann.locator("#room")).to_be_visible()
    assert await ann.locator("#plan-panel").count() == 0  # not on a client's page at all
    assert "I stop sleeping well" not in await ben.content()
