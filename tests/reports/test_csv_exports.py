"""CSV exports hold the same figures as the JSON views, and never start a formula."""

from __future__ import annotations

import csv
import io
from typing import Any

from imr_live.reports.csv_table import cell
from tests.live.harness import Server, Staff
from tests.reports.scenario import held_session, run_scenario


async def csv_rows(staff: Staff, path: str) -> list[dict[str, str]]:
    resp = await staff.http.get(path)
    assert resp.status == 200, await resp.text()
    assert resp.content_type == "text/csv"
    assert resp.headers["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.DictReader(io.StringIO(await resp.text())))


def as_cells(rows: list[dict[str, Any]], columns: list[str]) -> list[dict[str, str]]:
    return [{c: cell(row.get(c)) for c in columns} for row in rows]


async def test_attendance_timeline_and_client_csv_match_the_json(server: Server) -> None:
    sc = await run_scenario(server)
    sid = sc.sessions[0]["id"]
    for path, key in (
        (f"/api/sessions/{sid}/attendance", "people"),
        (f"/api/sessions/{sid}/timeline", "entries"),
        ("/api/reports/clients/C-002", "sessions"),
    ):
        _, body = await sc.dana.api("GET", path)
        rows = await csv_rows(sc.dana, f"{path}?format=csv")
        assert rows == as_cells(body[key], list(rows[0])), path
        assert len(rows) == len(body[key])


async def test_program_csv_has_one_row_per_clinician_and_a_total(server: Server) -> None:
    sc = await run_scenario(server)
    _, body = await sc.dana.api("GET", "/api/reports/program")
    rows = await csv_rows(sc.dana, "/api/reports/program?format=csv")
    assert [r["label"] for r in rows] == ["dana", "Whole program"]
    total = body["total"]
    assert rows[1]["attendance_rate"] == str(total["attendance_rate"])
    assert rows[1]["format_group"] == str(total["formats"]["group"])
    assert rows[1]["role_play_share"] == str(total["fidelity_share"]["role_play"])


async def test_a_name_that_looks_like_a_formula_is_exported_as_text(server: Server) -> None:
    dana = await server.staff("dana")
    session = await held_session(server, dana, [], name="=HYPERLINK(1)")
    path = f"/api/sessions/{session['id']}/attendance"
    _, body = await dana.api("GET", path)
    assert "=HYPERLINK(1)" in [p["display_name"] for p in body["people"]]
    rows = await csv_rows(dana, f"{path}?format=csv")
    assert "'=HYPERLINK(1)" in [r["display_name"] for r in rows]
