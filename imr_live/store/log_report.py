"""What ``imr-live log verify`` prints and its exit status."""

from __future__ import annotations

from dataclasses import replace

from imr_live.config import Config
from imr_live.store.database import open_database
from imr_live.store.log_settings import LogSettings
from imr_live.store.session_log import SessionLog, VerifyResult


def describe(result: VerifyResult) -> str:
    """One line on one session's verification."""
    if not result.known:
        return "UNKNOWN: the log has no events and no head for this session"
    if result.ok:
        return f"ok: {result.count} events, chain and signed head intact"
    return f"BROKEN at event {result.first_bad_seq}: {result.problem}"


async def verify_report(config: Config, session_id: str | None) -> tuple[list[str], int]:
    """Lines for ``session_id`` (every session when None) and the exit code: 0 only if all ok.

    The database is opened as a verifier: it reads the anchor but never exports to it,
    so checking a tampered store cannot add its heads to the anchor.
    """
    settings = replace(LogSettings.from_config(config), exports_anchor=False)
    db = await open_database(config.database_url, config.data_dir, log_settings=settings)
    try:
        log = SessionLog(db)
        if session_id is None:
            results = await log.verify_all()
            lines = [f"{sid}\t{describe(r)}" for sid, r in results.items()]
        else:
            results = {session_id: await log.verify(session_id)}
            lines = [describe(results[session_id])]
    finally:
        await db.close()
    broken = sum(1 for r in results.values() if not (r.ok and r.known))
    if session_id is None:
        lines.append(f"{len(results)} sessions checked, {broken} not intact")
    return lines, 1 if broken or not results else 0
