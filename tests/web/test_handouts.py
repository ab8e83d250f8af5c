"""In the browser: the leader uploads a handout and shows it; the client sees its pages.

Dana uploads a two-page PDF from the Handouts tab (a locked-out file type first, to
see the error in words), shows it and turns to page 2. Alex, a client, sees each
page as a picture where the slide was, with alt text naming the handout and page;
when Dana puts it away, the slide comes back.
"""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from tests.http.test_handouts import pdf_of
from tests.live.harness import Server
from tests.web.people import check_page, client_admitted, leader_with_two_links, open_tool

LOADED = "img => img.complete && img.naturalWidth > 0"


async def picture_shown(page: Page, alt: str) -> None:
    img = page.get_by_role("img", name=alt)
    await expect(img).to_be_visible()
    await page.wait_for_function(
        "([alt]) => { const i = document.getElementById('handout-img');"
        " return i.alt === alt && i.complete && i.naturalWidth > 0 && i.src.startsWith('blob:'); }",
        arg=[alt],
    )
    assert await img.evaluate(LOADED)


async def test_the_leader_uploads_and_shows_a_handout_everyone_sees(
    server: Server, browser: Browser
) -> None:
    leader, first, _second = await leader_with_two_links(server, browser, "Handout group")
    alex = await client_admitted(browser, server, leader, first, "Alex")
    await open_tool(leader, "Handouts")
    await expect(leader.get_by_text("No handouts yet.")).to_be_visible()

    upload = leader.get_by_role("button", name="Upload the handout")
    await leader.get_by_label("Handout file (PDF, PNG or JPEG)").set_input_files(
        {"name": "notes.pdf", "mimeType": "application/pdf", "buffer": b"<html>not a pdf</html>"}
    )
    await upload.click()
    await expect(leader.locator("#handout-error")).to_have_text(
        "A handout must be a PDF, PNG or JPEG file."
    )

    await leader.get_by_label("Handout file (PDF, PNG or JPEG)").set_input_files(
        {"name": "coping.pdf", "mimeType": "application/pdf", "buffer": pdf_of(2)}
    )
    await leader.get_by_label("Handout title (you can leave it empty)").fill("Coping skills")
    await upload.click()
    await expect(leader.locator("#handout-progress")).to_have_text(
        "Uploaded: Coping skills (2 pages)."
    )
    await expect(leader.locator("#handout-error")).to_have_text("")
    await check_page(leader, "handouts-leader")

    await leader.get_by_role("button", name="Show Coping skills").click()
    await picture_shown(alex, "Handout: Coping skills, page 1 of 2")
    await expect(alex.locator("#slide")).to_be_hidden()
    await expect(alex.locator("#stage")).to_have_attribute("data-slide", "large")
    await expect(alex.locator("#slide-position")).to_have_text(
        "Handout: Coping skills, page 1 of 2"
    )
    await expect(alex.get_by_role("button", name="Next page ▶")).to_be_hidden()

    await leader.get_by_role("button", name="Next page ▶").click()
    await picture_shown(alex, "Handout: Coping skills, page 2 of 2")
    await picture_shown(leader, "Handout: Coping skills, page 2 of 2")
    await expect(leader.get_by_role("button", name="Next page ▶")).to_be_disabled()
    await check_page(alex, "handouts-client")

    # A reload shows the same page at once (from the snapshot).
    await alex.reload()
    await picture_shown(alex, "Handout: Coping skills, page 2 of 2")

    await leader.get_by_role("button", name="Put the handout away").click()
    await expect(alex.locator("#handout-view")).to_be_hidden()
    await expect(alex.locator("#slide")).to_be_visible()
