"""Media signalling over the live channel: admitted people see and hear each other."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sfu.service import SfuService
from tests.live.harness import LiveClient, Server, guest, start_server
from tests.live.test_permissions import admitted_guest
from tests.sfu.conftest import Peer, eventually


class SocketPeer(Peer):
    """An aiortc participant whose signalling goes over the live channel."""

    def __init__(self, client: LiveClient, pid: str) -> None:
        super().__init__(None, pid)  # type: ignore[arg-type]
        self.client = client
        client.listeners.append(lambda name, data: self.emitted(data) if name == "media" else None)

    async def send(self, message: dict[str, Any]) -> dict[str, Any]:
        ack = await self.client.call("media", message)
        if not ack.get("ok"):
            raise AssertionError(ack)
        return ack


COLOURS = ("red", "blue", "green", "yellow")


@asynccontextmanager
async def publishing(*people: tuple[LiveClient, str]) -> AsyncIterator[list[SocketPeer]]:
    """One media peer per (client, participant id), joined and publishing red, blue, green…
    in that order; all closed afterwards."""
    peers = [SocketPeer(client, pid) for client, pid in people]
    try:
        for peer, colour in zip(peers, COLOURS, strict=False):
            await peer.join()
            await peer.publish(colour)
        yield peers
    finally:
        for peer in peers:
            await peer.close()


async def test_admitted_people_decode_each_others_video(media_server: Server) -> None:
    server = media_server
    clinician = await server.staff("dana")
    sid = (await clinician.create_session(format="individual"))["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    client, client_id = await admitted_guest(server, leader, await clinician.invite(sid), "Ann")
    peers = [SocketPeer(leader, clinician.id), SocketPeer(client, client_id)]
    try:
        for peer, colour in zip(peers, ("red", "blue"), strict=True):
            await peer.join()
            await peer.publish(colour)
        await eventually(lambda: peers[0].video_frames_from(client_id) > 10, what="leader sees Ann")
        await eventually(
            lambda: peers[1].video_frames_from(clinician.id) > 10, what="Ann sees leader"
        )
        assert set(peers[0].colours[client_id]) == {"blue"}
        assert set(peers[1].colours[clinician.id]) == {"red"}

        await leader.ok("media.server_mute", {"participant": client_id, "kind": "audio"})
        await client.wait_event("media.muted", participant=client_id)
        state = (await leader.ok("join"))["state"]
        assert state["server_muted"] == {client_id: ["audio"]}

        sfu = server.services.sfu
        assert sfu is not None and sfu.stats()["participants"] == 2
        await leader.ok("participant.remove", {"participant": client_id})
        assert sfu.stats()["participants"] == 1
    finally:
        for peer in peers:
            await peer.close()


async def test_waiting_guests_cannot_reach_the_media_server(media_server: Server) -> None:
    clinician = await media_server.staff("dana")
    sid = (await clinician.create_session())["id"]
    waiting = await guest(media_server, await clinician.invite(sid))
    await waiting.ok("join", {"display_name": "Wes"})
    ack = await waiting.call("media", {"type": "join"})
    assert ack["error"]["code"] == "not_admitted"
    bad = await waiting.call("media", {"type": "record", "on": True})
    assert bad["error"]["code"] == "invalid"


async def test_a_media_operation_that_never_ends_does_not_lock_the_session(
    tmp_path: Path,
) -> None:
    # Seen in the soak: one SFU call that never returned, made under the session's
    # lock, stopped every later join, slide and chat of that session for good.
    server = await start_server(tmp_path, sfu=True, media_call_limit_s=1.0)
    try:
        clinician = await server.staff("dana")
        sid = (await clinician.create_session(script_ref="recovery-strategies/1"))["id"]
        leader = await clinician.connect(sid)
        await leader.ok("join")
        client, _ = await admitted_guest(server, leader, await clinician.invite(sid), "Ann")
        await leader.ok("media", {"type": "join"})
        await client.ok("media", {"type": "join"})
        sfu = server.services.sfu
        assert isinstance(sfu, SfuService)
        room = sfu._rooms[sid]  # a media operation holds the room: nothing else gets in
        async with room.lock:
            assert (await client.call("leave"))["ok"], "leaving does not wait for the media"
            await leader.ok("slide.show", {"index": 1})
            await leader.ok("chat.send", {"text": "Still here"})
        kinds = [e.kind for e in await server.services.log.read(sid)]
        assert "participant.left" in kinds and "slide.shown" in kinds
        await eventually(lambda: sfu.stats()["participants"] == 1, 10, "Ann's media to close")
    finally:
        await server.stop()


async def test_an_observer_receives_media_but_may_not_send_any(media_server: Server) -> None:
    clinician = await media_server.staff("dana")
    sid = (await clinician.create_session())["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    token = await clinician.invite(sid, role="observer")
    observer, observer_id = await admitted_guest(media_server, leader, token, "Obi")
    watcher = SocketPeer(observer, observer_id)
    try:
        await observer.ok("media", {"type": "join"})
        refused = await observer.call("media", {"type": "publish", "sdp": "v=0"})
        assert refused["error"]["code"] == "forbidden"
        assert "watch" in refused["error"]["message"]
        lead = SocketPeer(leader, clinician.id)
        await lead.join()
        await lead.publish("red")
        await eventually(lambda: watcher.video_frames_from(clinician.id) > 10, what="Obi sees dana")
        sfu = media_server.services.sfu
        assert isinstance(sfu, SfuService)
        assert sfu._rooms[sid].participants[observer_id].forwarders == {}
        await lead.close()
    finally:
        await watcher.close()


async def test_a_page_tells_the_media_server_how_large_it_shows_someone(
    media_server: Server,
) -> None:
    clinician = await media_server.staff("dana")
    sid = (await clinician.create_session())["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    client, client_id = await admitted_guest(
        media_server, leader, await clinician.invite(sid), "Ann"
    )
    await client.ok("media", {"type": "join"})
    view = {"type": "view", "publisher": clinician.id, "width": 320, "height": 180}
    await client.ok("media", view)
    sfu = media_server.services.sfu
    assert isinstance(sfu, SfuService)
    assert sfu._rooms[sid].participants[client_id].tile_heights == {clinician.id: 180}
    bad = await client.call("media", {**view, "height": 0})
    assert bad["error"]["code"] == "bad_message", bad
    assert sfu._rooms[sid].participants[client_id].tile_heights == {clinician.id: 180}
