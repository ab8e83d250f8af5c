"""Review pages in Chromium: timeline, attendance, one client, the program; axe-core and prints."""

from __future__ import annotations

from collections import Counter

import aiohttp
from playwright.async_api import Browser, Page, expect

from imr_live.domain.roles import StaffRole
from imr_live.edges.live_socket import STAFF_COOKIE
from imr_live.reports.audit import AuditLog
from tests.live.harness import Server, Staff
from tests.reports.course import EVE, run_course
from tests.reports.scenario import held_session
from tests.reports.test_certificate_codes import CODE
from tests.reports.test_scale_and_exports import pdf_text
from tests.web.people import SCREENSHOTS, check_page, new_page


async def signed_in(browser: Browser, server: Server, staff: Staff) -> Page:
    """A page whose context carries the staff member's sign-in cookie."""
    page = await new_page(browser, server)
    await page.context.add_cookies(
        [{"name": STAFF_COOKIE, "value": staff.token, "url": server.url}]
    )
    return page


async def charts_drawn(page: Page, count: int) -> None:
    """Wait until the page's charts are drawn, and check each has data."""
    await expect(page.locator(f"body[data-charts-ready='{count}']")).to_be_attached()
    assert await page.locator("canvas[data-chart]").count() == count


async def test_a_supervisor_reviews_a_course_in_the_browser(
    server: Server, chromium: Browser
) -> None:
    course = await run_course(server)
    sue = await server.staff("sue", StaffRole.SUPERVISOR)
    page = await signed_in(chromium, server, sue)
    first = course.sessions[0]["id"]

    await page.goto(f"/review/sessions/{first}")
    await expect(page.get_by_text("Log verified: all")).to_be_visible()
    await expect(page.get_by_role("cell", name="dana started the session")).to_be_visible()
    await expect(
        page.get_by_role(
            "cell", name="IMR Scales for Eve (clinician version): mean 2.00 over 14 items"
        )
    ).to_be_visible()
    await check_page(page, "review-01-timeline")
    await page.get_by_label("goals").check()
    await page.get_by_role("button", name="Filter").click()
    await expect(page.get_by_role("caption")).to_have_text("1 events (goals)")
    await expect(
        page.get_by_role("cell", name="noted a goal for Eve: Join a choir")
    ).to_be_visible()

    await page.goto(f"/review/sessions/{first}/attendance")
    await expect(page.get_by_role("rowheader", name="Eve")).to_be_visible()
    await check_page(page, "review-02-attendance")

    await page.goto(f"/review/clients/{EVE}")
    await charts_drawn(page, 2)
    scale = page.locator("#scale-change")
    await expect(scale.get_by_role("row", name="clinician 2 2.0 3.07 +1.07")).to_be_visible()
    await expect(scale.get_by_role("row", name="client 2 3.29 4.0 +0.71")).to_be_visible()
    await expect(page.get_by_role("link", name="Graduation certificate (PDF)")).to_be_visible()
    await check_page(page, "review-03-client-charts")
    await page.emulate_media(media="print")
    await page.screenshot(path=SCREENSHOTS / "review-03-client-charts-print.png", full_page=True)
    await expect(page.get_by_role("navigation", name="Review")).to_be_hidden()
    await page.emulate_media(media="screen")

    await page.goto("/review/program")
    await charts_drawn(page, 2)
    completed = page.locator("#modules-completed")
    await expect(completed.get_by_role("row", name=f"{course.title} 1")).to_be_visible()
    graduates = page.locator("#graduations")
    await expect(graduates.get_by_role("row", name=f"{course.plan.title} 1")).to_be_visible()
    await check_page(page, "review-04-program-charts")

    await page.goto("/review/program?by=title")
    await charts_drawn(page, 2)
    per_group = page.locator("#joins-per-group")
    await expect(per_group.get_by_role("row", name="Module session 2 1 1 0 —")).to_be_visible()
    await expect(page.locator("#joins").get_by_role("link", name=EVE)).to_have_count(2)
    await check_page(page, "review-05-program-groups-joins")

    _, text = await pdf_text(course.dana, f"/api/reports/clients/{EVE}/certificate?kind=graduation")
    found = CODE.search(text)
    assert found, text
    public = await new_page(chromium, server)  # no sign-in: anyone may check a code
    await public.goto(f"/verify/{found.group(1)}")
    await expect(public.get_by_text("This certificate is real.")).to_be_visible()
    await expect(public.get_by_role("cell", name=course.plan.title).first).to_be_visible()
    await check_page(public, "review-06-verify-certificate")


async def test_a_broken_chain_is_shown_loudly(server: Server) -> None:
    dana = await server.staff("dana")
    session = await held_session(server, dana, [])
    await server.services.db.execute(
        "UPDATE session_log SET at = at - 60000000 WHERE session_id = ? AND seq = ?",
        session["id"],
        2,
    )
    async with dana.http.get(f"/review/sessions/{session['id']}") as resp:
        html = await resp.text()
    assert resp.status == 200
    assert 'class="log-badge broken" id="log-badge" role="alert"' in html
    assert "Log NOT verified." in html and "breaks at event 2" in html
    assert "Log verified: all" not in html


async def test_review_pages_follow_the_report_access_rules_and_are_audited(
    server: Server,
) -> None:
    dana = await server.staff("dana")
    session = await held_session(server, dana, [])
    sid = session["id"]
    pages = {
        f"/review/sessions/{sid}": ("view.timeline", f"session:{sid}", 403),
        f"/review/sessions/{sid}/attendance": ("view.attendance", f"session:{sid}", 403),
        "/review/clients/C-001": ("view.client_report", "client:C-001", 404),
        "/review/program": ("view.program", "program:leader", 200),
    }
    olly = await server.staff("olly")
    anonymous = aiohttp.ClientSession(base_url=server.url)
    guest = aiohttp.ClientSession(
        base_url=server.url, headers={"Authorization": f"Bearer {session['token']}"}
    )
    server.opened += [anonymous, guest]
    for path, (_action, _target, other) in pages.items():
        for who, http, want in ((dana, dana.http, 200), (olly, olly.http, other)):
            async with http.get(path) as resp:
                assert resp.status == want, (who, path)
                assert resp.content_type == "text/html"
        for http in (anonymous, guest):
            async with http.get(path, allow_redirects=False) as resp:
                assert (resp.status, resp.headers["Location"]) == (302, "/login"), path
    rows = await AuditLog(server.services.db).entries()
    expected = [(dana.id, action, target) for action, target, _ in pages.values()]
    expected.append((olly.id, "view.program", "program:leader"))
    assert Counter((r.account_id, r.action, r.target) for r in rows) == Counter(expected)


async def test_the_chart_library_is_served_from_node_modules(server: Server) -> None:
    http = aiohttp.ClientSession(base_url=server.url)
    server.opened.append(http)
    async with http.get("/review/assets/chart.umd.min.js") as resp:
        assert resp.status == 200
        assert "Chart" in (await resp.text())[:2000]
