"""PostgreSQL briefly unavailable: events are refused (never acked and lost), then resume."""

from __future__ import annotations

import asyncio
import glob
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.conftest import free_port
from tests.live.harness import LiveClient
from tests.live.test_durability import Process, add_user, read_log
from tests.multinode.test_two_web_nodes import admit, set_up

BIN = (
    sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
    if glob.glob("/usr/lib/postgresql/*/bin")
    else ""
)


class OwnPostgres:
    """A throwaway PostgreSQL cluster this test may stop and start."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="imr-pg-")
        shutil.chown(self.dir, "postgres", "postgres")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _pg(self, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True)

    def init(self) -> None:
        self._pg(f"{BIN}/initdb", "-D", f"{self.dir}/data", "--auth=trust", "-U", "postgres")

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._pg(
            f"{BIN}/pg_ctl",
            "-D",
            f"{self.dir}/data",
            "-o",
            opts,
            "-l",
            f"{self.dir}/log",
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._pg(f"{BIN}/pg_ctl", "-D", f"{self.dir}/data", "-m", "immediate", "-w", "stop")


@pytest.fixture
def own_pg() -> Iterator[OwnPostgres]:
    if not BIN:
        pytest.fail("PostgreSQL server binaries are not installed")
    pg = OwnPostgres()
    pg.init()
    pg.start()
    try:
        yield pg
    finally:
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                f"{BIN}/pg_ctl",
                "-D",
                f"{pg.dir}/data",
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
        )
        shutil.rmtree(pg.dir, ignore_errors=True)


@pytest.fixture
async def node(tmp_path, own_pg: OwnPostgres) -> AsyncIterator[Process]:  # type: ignore[no-untyped-def]
    proc = Process(tmp_path / "n", {"DATABASE_URL": own_pg.url})
    add_user(proc.env, "dana")
    await proc.start()
    try:
        yield proc
    finally:
        proc.stop()


async def test_events_are_refused_while_postgres_is_down_and_resume_after(
    node: Process, own_pg: OwnPostgres
) -> None:
    sid, staff_token, tokens, _ = await set_up(node, 2)
    leader = await LiveClient.open(node.url, {"session": sid, "staff_token": staff_token})
    await leader.ok("join")
    client = await LiveClient.open(node.url, {"token": tokens[0]})
    await admit(leader, client, "Ann")
    ben = await LiveClient.open(node.url, {"token": tokens[1]})
    ben_id = await admit(leader, ben, "Ben")
    acked = [(await client.ok("chat.send", {"text": "before"}))["seq"]]

    own_pg.stop()
    refused = await client.call("chat.send", {"text": "during"})
    assert refused["ok"] is False and refused["error"]["code"] == "unavailable"
    await ben.close()  # his drop cannot be written now
    own_pg.start()

    async with asyncio.timeout(30):
        while True:
            ack = await client.call("chat.send", {"text": "after"})
            if ack["ok"]:
                acked.append(ack["seq"])
                break
            assert ack["error"]["code"] == "unavailable"
            await asyncio.sleep(0.5)
    # Ben's drop is written once the log is back, and the leader is told.
    await leader.wait_event("participant.dropped", participant=ben_id)
    stored, verified = await read_log(node, sid)
    assert verified
    chats = [(e.seq, e.data["text"]) for e in stored if e.kind == "chat.sent"]
    assert chats == [(acked[0], "before"), (acked[1], "after")]
    dropped = [e for e in stored if e.kind == "participant.dropped"]
    assert [e.data["participant"] for e in dropped] == [ben_id]
    assert dropped[0].data["closed_at"] < dropped[0].at  # when he really went, for attendance
    await leader.close()
    await client.close()
