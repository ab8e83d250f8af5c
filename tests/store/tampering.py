"""The ten ways to tamper with a session log through the database, as an attacker would.

Every kind edits rows with plain SQL and, where it helps the attacker, recomputes
hashes with the public chain function; none of them has the log key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from imr_live.store.log_chain import chain_hash

Tamper = Callable[[Any, str, int, int], Awaitable[None]]
"""(db, session_id, position, event count) -> edits the database."""

ROW = "session_id, seq, at, actor, kind, data, prev_hash, hash"


async def rows(db: Any, sid: str) -> list[dict[str, Any]]:
    """Every stored row of ``sid`` in seq order."""
    return await db.fetch(f"SELECT {ROW} FROM session_log WHERE session_id = ? ORDER BY seq", sid)


async def rechain_from(db: Any, sid: str, start: int) -> None:
    """Recompute prev_hash and hash of every row from seq ``start`` on, as a forger would."""
    stored = await rows(db, sid)
    prev = "0" * 64
    for row in stored:
        seq = int(row["seq"])
        if seq >= start:
            digest = chain_hash(
                sid, seq, int(row["at"]), row["actor"], row["kind"], row["data"], prev
            )
            await db.execute(
                "UPDATE session_log SET prev_hash = ?, hash = ? WHERE session_id = ? AND seq = ?",
                prev,
                digest,
                sid,
                seq,
            )
            prev = digest
        else:
            prev = row["hash"]


async def flip_byte(db: Any, sid: str, pos: int, _n: int) -> None:
    """One character of the stored event text changes."""
    row = (
        await db.fetch("SELECT data FROM session_log WHERE session_id = ? AND seq = ?", sid, pos)
    )[0]
    data = row["data"]
    i = len(data) // 2
    flipped = data[:i] + chr(ord(data[i]) ^ 1) + data[i + 1 :]
    await db.execute(
        "UPDATE session_log SET data = ? WHERE session_id = ? AND seq = ?", flipped, sid, pos
    )


async def edit_actor(db: Any, sid: str, pos: int, _n: int) -> None:
    """The event is said to come from someone else."""
    await db.execute(
        "UPDATE session_log SET actor = ? WHERE session_id = ? AND seq = ?", "p_other", sid, pos
    )


async def delete(db: Any, sid: str, pos: int, _n: int) -> None:
    """One event disappears."""
    await db.execute("DELETE FROM session_log WHERE session_id = ? AND seq = ?", sid, pos)


async def reorder(db: Any, sid: str, pos: int, n: int) -> None:
    """Two neighbouring events swap places (all their fields but seq)."""
    other = pos + 1 if pos < n else pos - 1
    stored = {int(r["seq"]): r for r in await rows(db, sid)}
    for here, there in ((pos, other), (other, pos)):
        src = stored[there]
        await db.execute(
            "UPDATE session_log SET at = ?, actor = ?, kind = ?, data = ?, prev_hash = ?, hash = ?"
            " WHERE session_id = ? AND seq = ?",
            src["at"],
            src["actor"],
            src["kind"],
            src["data"],
            src["prev_hash"],
            src["hash"],
            sid,
            here,
        )


async def edit_hash(db: Any, sid: str, pos: int, _n: int) -> None:
    """A stored hash is replaced by another well-formed one."""
    await db.execute(
        "UPDATE session_log SET hash = ? WHERE session_id = ? AND seq = ?", "ab" * 32, sid, pos
    )


async def truncate(db: Any, sid: str, pos: int, _n: int) -> None:
    """Everything from ``pos`` to the end is cut off."""
    await db.execute("DELETE FROM session_log WHERE session_id = ? AND seq >= ?", sid, pos)


async def delete_and_renumber(db: Any, sid: str, pos: int, n: int) -> None:
    """One event is removed, later ones renumbered and the chain recomputed to close the gap."""
    await delete(db, sid, pos, n)
    for seq in range(pos + 1, n + 1):
        await db.execute(
            "UPDATE session_log SET seq = ? WHERE session_id = ? AND seq = ?", seq - 1, sid, seq
        )
    await rechain_from(db, sid, pos)


async def forged_append(db: Any, sid: str, pos: int, n: int) -> None:
    """``pos`` made-up events are added at the end, correctly chained."""
    last = (await rows(db, sid))[-1]
    prev, at = last["hash"], int(last["at"])
    for seq in range(n + 1, n + 1 + pos):
        data = '{"text":"made up"}'
        digest = chain_hash(sid, seq, at + seq, "p_1", "chat.sent", data, prev)
        await db.execute(
            f"INSERT INTO session_log ({ROW}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            sid,
            seq,
            at + seq,
            "p_1",
            "chat.sent",
            data,
            prev,
            digest,
        )
        prev = digest


async def delete_all(db: Any, sid: str, _pos: int, _n: int) -> None:
    """Every event of the session is removed."""
    await db.execute("DELETE FROM session_log WHERE session_id = ?", sid)


async def rechain(db: Any, sid: str, pos: int, _n: int) -> None:
    """An event is edited and every hash from there on recomputed."""
    await db.execute(
        "UPDATE session_log SET data = ? WHERE session_id = ? AND seq = ?",
        '{"text":"rewritten"}',
        sid,
        pos,
    )
    await rechain_from(db, sid, pos)


KINDS: dict[str, Tamper] = {
    "flip a byte": flip_byte,
    "edit actor": edit_actor,
    "delete": delete,
    "reorder": reorder,
    "edit hash": edit_hash,
    "truncate": truncate,
    "delete and renumber": delete_and_renumber,
    "forged append": forged_append,
    "delete all": delete_all,
    "re-chain": rechain,
}
