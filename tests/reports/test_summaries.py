"""Batched log reads and the cached per-session summaries, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from imr_live.domain.accounts import Accounts
from imr_live.domain.join_links import JoinLinks
from imr_live.domain.roles import StaffRole
from imr_live.domain.sessions import Sessions
from imr_live.reports.program import program
from imr_live.reports.records import SUMMARIES, ReportRecords
from imr_live.store.session_log import SessionLog


async def test_read_many_and_heads_agree_with_reading_one_by_one(db: Any) -> None:
    log = SessionLog(db)
    for sid, count in (("s_a", 3), ("s_b", 1)):
        for n in range(count):
            await log.append(sid, "system", "chat.sent", {"text": f"{sid} {n}"})
    many = await log.read_many(["s_a", "s_b", "s_none"])
    assert many == {"s_a": await log.read("s_a"), "s_b": await log.read("s_b"), "s_none": []}
    heads = await log.heads(["s_a", "s_b", "s_none"])
    assert heads == {"s_a": (3, many["s_a"][-1].hash), "s_b": (1, many["s_b"][-1].hash)}


async def test_summaries_follow_the_stored_log(db: Any) -> None:
    accounts, sessions, log = Accounts(db), Sessions(db), SessionLog(db)
    links = JoinLinks(db, b"k" * 32)
    dana = await accounts.add("dana", "a long password 1", StaffRole.CLINICIAN)
    session = await sessions.create(dana, "Group", "group")
    invite, _token = await links.create(session, dana, "client", 3600, "C-001")
    records = ReportRecords(db, log, sessions)
    await log.append(session.id, dana.id, "session.started", {})
    await log.append(session.id, invite.id, "participant.joined",
                     {"participant": invite.id, "role": "client", "display_name": "Ann", "waiting": True})  # fmt: skip

    def figures(found: list[Any]) -> dict[str, Any]:
        return program(found)[1].as_dict()

    first = figures(await records.summarised(dana))
    assert (first["client_places"], first["client_attendances"]) == (1, 0)
    assert figures(await records.summarised(dana)) == first  # from the cache
    cached = len(SUMMARIES.items)
    await log.append(session.id, dana.id, "participant.admitted", {"participant": invite.id})
    now = figures(await records.summarised(dana))
    assert (now["client_places"], now["client_attendances"]) == (1, 1)  # a new event: new key
    assert now == figures(await records.visible_to(dana))
    assert len(SUMMARIES.items) == cached + 1
