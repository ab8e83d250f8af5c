"""One Room per live session: its participants, their published tracks, mutes, recording."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiortc import RTCPeerConnection, RTCSessionDescription

from sfu import aiortc_internals as internals
from sfu.config import SfuConfig
from sfu.errors import BadSdp, MutedByLeader, NotInRoom, RoomClosed, UnsupportedCodec
from sfu.forwarder import FORWARDED_MIME_TYPES, Forwarder
from sfu.participant import Participant, close_pc, gather_within, new_peer_connection
from sfu.recorder import RoomRecording
from sfu.speaker import DominantSpeaker

logger = logging.getLogger(__name__)

Emit = Callable[[str, str, dict[str, Any]], Awaitable[None]]
EMIT_TIMEOUT_S = 5.0


class Room:
    """Forwards every participant's media to every other participant of the room."""

    def __init__(self, room_id: str, config: SfuConfig, emit: Emit) -> None:
        self.id = room_id
        self.participants: dict[str, Participant] = {}
        self.recording: RoomRecording | None = None
        self.closed = False
        self.lock = asyncio.Lock()
        """Held by the service around joins, publishing and departures."""
        self._config = config
        self._emit = emit
        self._speaker = DominantSpeaker()
        self._tasks = [
            asyncio.create_task(self._speaker_loop(), name=f"speaker:{room_id}"),
            asyncio.create_task(self._budget_loop(), name=f"budget:{room_id}"),
        ]

    # membership

    async def join(self, pid: str) -> dict[str, Any]:
        """Admit a participant; re-joining replaces their previous connections."""
        self._check_open()
        if pid in self.participants:
            await self._drop(pid)
        participant = Participant(pid, self._config, self._emitter(pid), self._sources)
        self.participants[pid] = participant
        participant.resubscribe()
        return {"type": "joined", "participant": pid}

    async def leave(self, pid: str) -> dict[str, Any]:
        """A participant leaves: their tracks disappear from every subscriber."""
        self._member(pid)
        await self._drop(pid)
        return {"type": "left", "participant": pid}

    async def remove(self, by: str, target: str) -> dict[str, Any]:
        """The leader removes a participant (told first, then disconnected)."""
        self._member(by)
        self._member(target)
        await self.emit(target, {"type": "removed", "participant": target, "by": by})
        await self._drop(target)
        return {"type": "removed", "participant": target}

    async def _drop(self, pid: str) -> None:
        participant = self.participants.pop(pid)
        self._speaker.forget(pid)
        for forwarder in participant.forwarders.values():
            self._end_recording(forwarder)
        await participant.close()
        for other in self.participants.values():
            other.resubscribe()

    def _sources(self, subscriber: str) -> list[Forwarder]:
        return [
            f
            for pid, p in self.participants.items()
            if pid != subscriber
            for f in p.forwarders.values()
        ]

    # publishing

    async def publish(self, pid: str, sdp: str) -> dict[str, Any]:
        """Answer a participant's publishing offer; replaces any earlier publishing connection."""
        participant = self._member(pid)
        pc = new_peer_connection(self._config)
        try:
            forwarders = await self._accept_offer(pid, pc, sdp)
            await gather_within(pc, await pc.createAnswer(), self._config.gather_timeout_s)
        except BaseException:
            await close_pc(pc, self._config.close_timeout_s, pid)
            raise
        if pid not in self.participants or self.closed:
            await close_pc(pc, self._config.close_timeout_s, pid)
            raise NotInRoom(f"{pid} left while publishing")
        await self._replace_publishing(participant, pc, forwarders)
        return {"type": "answer", "pc": "pub", "sdp": pc.localDescription.sdp}

    async def _accept_offer(
        self, pid: str, pc: RTCPeerConnection, sdp: str
    ) -> dict[str, Forwarder]:
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        except Exception as exc:
            if "description send parameters" in str(exc):
                raise UnsupportedCodec(f"no forwardable codec in the offer: {exc}") from exc
            raise BadSdp(f"offer rejected: {exc}") from exc
        forwarders: dict[str, Forwarder] = {}
        for transceiver in pc.getTransceivers():
            if not internals.offered_for_sending(transceiver):
                continue  # the publishing connection only receives
            if not internals.keep_codecs(transceiver, FORWARDED_MIME_TYPES):
                raise UnsupportedCodec(
                    f"{transceiver.kind} codecs offered are not forwarded "
                    f"(forwarded: {', '.join(FORWARDED_MIME_TYPES)})"
                )
            if transceiver.kind in forwarders:
                raise BadSdp(f"only one {transceiver.kind} track per participant")
            forwarders[transceiver.kind] = Forwarder(
                publisher_id=pid,
                transceiver=transceiver,
                config=self._config,
                on_audio_level=self._speaker.observe,
            )
        if not forwarders:
            raise BadSdp("the offer publishes no audio or video")
        return forwarders

    async def _replace_publishing(
        self, participant: Participant, pc: RTCPeerConnection, forwarders: dict[str, Forwarder]
    ) -> None:
        old_pc, old = participant.pub_pc, list(participant.forwarders.values())
        participant.pub_pc, participant.forwarders = pc, forwarders
        for forwarder in old:
            self._end_recording(forwarder)
            await forwarder.close()
        if old_pc is not None:
            await close_pc(old_pc, self._config.close_timeout_s, participant.id)
        for kind, forwarder in forwarders.items():
            forwarder.self_muted = kind in participant.self_muted
            forwarder.server_muted = kind in participant.server_muted
            forwarder.start()
            self._attach_recording(forwarder)
        for other in self.participants.values():
            if other is not participant:
                other.resubscribe()

    # mutes and subscriptions

    async def mute(self, pid: str, kind: str, muted: bool) -> dict[str, Any]:
        """A participant mutes or unmutes their own audio or video (kept across republishing)."""
        participant = self._member(pid)
        if not muted and kind in participant.server_muted:
            raise MutedByLeader(f"{kind} was muted by the leader")
        _toggle(participant.self_muted, kind, muted)
        self._apply_mutes(participant, kind)
        event = {"type": "muted", "participant": pid, "kind": kind, "muted": muted, "by": pid}
        await self.broadcast(event)
        return event

    async def server_mute(self, by: str, target: str, kind: str, muted: bool) -> dict[str, Any]:
        """The leader stops (or resumes) forwarding a participant's track, and everyone is told."""
        self._member(by)
        participant = self._member(target)
        _toggle(participant.server_muted, kind, muted)
        self._apply_mutes(participant, kind)
        event = {"type": "muted", "participant": target, "kind": kind, "muted": muted, "by": by}
        await self.broadcast(event)
        return event

    @staticmethod
    def _apply_mutes(participant: Participant, kind: str) -> None:
        forwarder = participant.forwarders.get(kind)
        if forwarder is None:
            return
        was_forwarding = forwarder.forwarding
        forwarder.self_muted = kind in participant.self_muted
        forwarder.server_muted = kind in participant.server_muted
        if forwarder.forwarding and not was_forwarding:
            # Muted packets stop at the forwarder; after unmuting, every leg
            # restarts on a keyframe with continuous sequence numbers.
            for leg in forwarder.legs:
                leg.restart()

    def audio_only(self, pid: str, on: bool) -> dict[str, Any]:
        """Stop (or resume) forwarding video to a participant on a weak link."""
        self._member(pid).set_audio_only(on)
        return {"type": "audio_only", "on": on}

    def restart_subscriptions(self, pid: str) -> dict[str, Any]:
        """Recover a participant's subscribing side with a fresh connection (ICE restart)."""
        self._member(pid).restart_subscriptions()
        return {"type": "ok"}

    async def apply_answer(self, pid: str, sdp: str) -> dict[str, Any]:
        """A subscriber answers the SFU's subscribing offer."""
        await self._member(pid).apply_answer(sdp)
        return {"type": "ok"}

    # recording

    async def record(self, by: str, on: bool, allowed: list[str]) -> dict[str, Any]:
        """Start or stop recording the participants in `allowed` (those who consented).

        `record on` while recording updates who is recorded.
        """
        self._member(by)
        if on:
            if self.recording is None:
                directory = self._config.recordings_dir / self.id
                self.recording = RoomRecording(directory, frozenset(allowed))
                logger.info("room %s: recording started in %s", self.id, directory)
            else:
                self.recording.set_allowed(frozenset(allowed))
            logger.info("room %s: recording %s", self.id, sorted(allowed))
            for participant in self.participants.values():
                for forwarder in participant.forwarders.values():
                    self._attach_recording(forwarder)
        elif self.recording is not None:
            self._stop_recording()
        path = str(self._config.recordings_dir / self.id)
        await self.broadcast({"type": "recording", "on": on, "path": path})
        files = self.recording.files() if self.recording else []
        return {"type": "recording", "on": on, "path": path, "files": files}

    def _end_recording(self, forwarder: Forwarder) -> None:
        forwarder.set_frame_sink(None)
        if self.recording is not None:
            self.recording.end(forwarder.publisher_id, forwarder.kind)

    def _attach_recording(self, forwarder: Forwarder) -> None:
        if self.recording is None:
            return
        track = self.recording.track(forwarder.publisher_id, forwarder.kind, forwarder.mime_type)
        forwarder.set_frame_sink(track.write if track is not None else None)

    def _stop_recording(self) -> None:
        recording, self.recording = self.recording, None
        if recording is None:
            return
        for participant in self.participants.values():
            for forwarder in participant.forwarders.values():
                forwarder.set_frame_sink(None)
        recording.close()
        logger.info("room %s: recording stopped: %s", self.id, recording.files())

    # events

    async def emit(self, pid: str, event: dict[str, Any]) -> None:
        """Send one event to one participant; failures are logged, never raised."""
        try:
            await asyncio.wait_for(self._emit(self.id, pid, event), EMIT_TIMEOUT_S)
        except Exception:
            logger.exception("room %s: emitting %s to %s failed", self.id, event.get("type"), pid)

    async def broadcast(self, event: dict[str, Any]) -> None:
        """Send one event to every participant."""
        for pid in list(self.participants):
            await self.emit(pid, event)

    def _emitter(self, pid: str) -> Callable[[dict[str, Any]], Awaitable[None]]:
        async def emit(event: dict[str, Any]) -> None:
            await self.emit(pid, event)

        return emit

    async def _speaker_loop(self) -> None:
        while True:
            await asyncio.sleep(self._config.speaker_interval_s)
            speaker = self._speaker.pick()
            if speaker is not None and speaker in self.participants:
                await self.broadcast({"type": "speaker", "participant": speaker})

    def video_cap_bps(self) -> int:
        """Each publisher's video cap: the subscriber budget shared by the streams one receives."""
        publishers = sum(1 for p in self.participants.values() if "video" in p.forwarders)
        received = max(1, publishers - 1 if publishers == len(self.participants) else publishers)
        share = self._config.video_budget_kbps * 1000 // received
        return max(share, self._config.min_video_kbps * 1000)

    async def _budget_loop(self) -> None:
        while True:
            await asyncio.sleep(self._config.remb_interval_s)
            cap = self.video_cap_bps()
            for participant in list(self.participants.values()):
                forwarder = participant.forwarders.get("video")
                if forwarder is not None:
                    try:
                        await forwarder.send_bitrate_cap(cap)
                    except ConnectionError:
                        pass  # not connected yet or already gone: the next round retries
                await self._check_link(participant)

    async def _check_link(self, participant: Participant) -> None:
        """Tell a subscriber when its video loss crosses the weak-link threshold (and back).

        Weak at once; good again only after ``weak_link_clear_s`` of reports under half
        the threshold (or at once in audio only), so that loss hovering around the
        threshold, or hidden for a report or two by NACK repair, does not flip the
        verdict every second.
        """
        loss = participant.video_loss()
        if not participant.weak_link:
            weak = loss > self._config.weak_link_loss
        elif participant.audio_only:
            weak = False
        elif loss > self._config.weak_link_loss / 2:
            participant.calm_since = None
            weak = True
        else:
            now = time.monotonic()
            if participant.calm_since is None:
                participant.calm_since = now
            weak = now - participant.calm_since < self._config.weak_link_clear_s
        if weak != participant.weak_link:
            participant.weak_link = weak
            participant.calm_since = None
            event: dict[str, Any] = {"type": "link_quality", "weak": weak, "loss": round(loss, 3)}
            estimate = participant.video_estimate_bps()
            if estimate is not None:
                event["estimate_kbps"] = estimate // 1000
            if weak and not participant.audio_only:
                event["suggest"] = "audio_only"
            await self.emit(participant.id, event)

    # lifetime

    def _member(self, pid: str) -> Participant:
        self._check_open()
        participant = self.participants.get(pid)
        if participant is None:
            raise NotInRoom(f"{pid} has not joined room {self.id}")
        return participant

    def _check_open(self) -> None:
        if self.closed:
            raise RoomClosed(f"room {self.id} is closed")

    def stats(self) -> dict[str, Any]:
        """Counts for monitoring and leak tests."""
        legs = [leg for p in self.participants.values() for leg in p.legs.values()]
        forwarders = [f for p in self.participants.values() for f in p.forwarders.values()]
        return {
            "participants": len(self.participants),
            "peer_connections": sum(len(p.peer_connections()) for p in self.participants.values()),
            "tasks": sum(1 for t in self._tasks if not t.done())
            + sum(p.task_count for p in self.participants.values()),
            "legs": len(legs),
            "forwarded_packets": sum(leg.packets_sent for leg in legs)
            + sum(p.closed_legs_packets for p in self.participants.values()),
            "nacks_answered": sum(leg.nacks_answered for leg in legs),
            "keyframe_requests_sent": sum(f.keyframes.sent for f in forwarders),
            "negotiations": sum(p.negotiations for p in self.participants.values()),
            "recording": self.recording is not None,
        }

    async def close(self) -> None:
        """Stop recording, close every participant and cancel every task (idempotent)."""
        if self.closed:
            return
        self.closed = True
        self._stop_recording()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        # Everyone at once: each close waits on its connections (up to
        # close_timeout_s), so one after another made ending a group slow.
        participants, self.participants = list(self.participants.values()), {}
        results = await asyncio.gather(
            *(participant.close() for participant in participants), return_exceptions=True
        )
        for participant, result in zip(participants, results, strict=True):
            if isinstance(result, BaseException):
                logger.warning("closing %s failed: %r", participant.id, result)


def _toggle(kinds: set[str], kind: str, on: bool) -> None:
    if on:
        kinds.add(kind)
    else:
        kinds.discard(kind)
