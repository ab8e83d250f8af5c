"""One Room per live session: its participants, their published tracks, mutes, recording."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription

from sfu.aiortc_internals import rtp_transceiver
from sfu.aiortc_internals.peer_connection import offer_has_no_usable_codec
from sfu.captions import AudioTap, PcmListener
from sfu.clip import ClipPlayer, ClipRefused, clip_id, is_clip
from sfu.config import SfuConfig
from sfu.downtrack import DownTrack
from sfu.errors import BadClip, BadSdp, MutedByLeader, NotInRoom, RoomClosed, UnsupportedCodec
from sfu.forwarder import FORWARDED_MIME_TYPES, Forwarder
from sfu.layer_choice import (
    HEAVY_LOSS,
    PROBE_LOSS,
    SEVERE_LOSS,
    TRIAL_ESTIMATE_HOLD_S,
    LayerChooser,
    LegReport,
    weak_link_estimate,
)
from sfu.messages import (
    VIDEO_BACK_TEXT,
    VIDEO_PAUSED_TEXT,
    AudioOnlyChanged,
    ClipState,
    Emit,
    Event,
    Joined,
    Kind,
    LayersUnused,
    Left,
    LinkQualityChanged,
    MediaChanged,
    Muted,
    Ok,
    PublishAnswer,
    Recording,
    Removed,
    Speaker,
)
from sfu.participant import Participant, close_pc, gather_within, new_peer_connection
from sfu.privacy import OFF, PrivacyPolicy
from sfu.recorder import RoomRecording
from sfu.screen import is_media_only, owner_of, screen_id
from sfu.simulcast import parse_simulcast
from sfu.speaker import DominantSpeaker
from sfu.supervision import SupervisedLoop
from sfu.video_budget import VideoBudget

logger = logging.getLogger(__name__)

EMIT_TIMEOUT_S = 5.0

PADDING_INTERVAL_S = 0.01
"""How often a layer trial's padding goes out (a few packets each time)."""

OPUS_FMTP = {"minptime": 10, "useinbandfec": 1}
"""Opus parameters the SFU asks of publishers (and offers subscribers): 10 ms frames
allowed, in-band forward error correction on."""


class Room:
    """Forwards every participant's media to every other participant of the room."""

    def __init__(self, room_id: str, config: SfuConfig, emit: Emit) -> None:
        self.id = room_id
        self.participants: dict[str, Participant] = {}
        self.recording: RoomRecording | None = None
        self.groups: dict[str, str] = {}
        """Participant id -> private group; media crosses only between people of one group
        (those not listed are in the whole room's group ""). Kept across media rejoins."""
        self.privacy: PrivacyPolicy = OFF
        """Private group mode: whose media a group member may receive (sfu/privacy.py)."""
        self.captions: PcmListener | None = None
        """Where a captioned room's decoded audio goes (sfu/captions.py); None: not captioned."""
        self.clips: dict[str, tuple[ClipPlayer, RTCPeerConnection]] = {}
        """Playing clips (clip id -> player and its publishing connection), sfu/clip.py."""
        self.closed = False
        self.lock = asyncio.Lock()
        """Held by the service around joins, publishing and departures."""
        self._config = config
        self._emit = emit
        self._speaker = DominantSpeaker()
        self._budget = VideoBudget(config.video_budget_kbps, config.min_video_kbps)
        self._resume_wanted: set[str] = set()
        """Publishers a leg now needs a paused layer of (told by `_resume_loop`)."""
        self._resume = asyncio.Event()
        self._trials = asyncio.Event()
        """Set when a leg's layer trial begins (`_padding_loop` sends its padding)."""
        self._loops = [
            SupervisedLoop(f"speaker:{room_id}", self._speaker_loop),
            SupervisedLoop(f"budget:{room_id}", self._budget_loop),
            SupervisedLoop(f"layers:{room_id}", self._resume_loop),
            SupervisedLoop(f"padding:{room_id}", self._padding_loop),
        ]

    # membership

    async def join(self, pid: str) -> Joined:
        """Admit a participant; re-joining replaces their previous connections."""
        self._check_open()
        if pid in self.participants:
            await self._drop(pid)
        participant = Participant(pid, self._config, self._emitter(pid), self._sources)
        participant.on_layered_report = functools.partial(self._layered_leg_reported, participant)
        self.participants[pid] = participant
        participant.resubscribe()
        return Joined(pid)

    async def leave(self, pid: str) -> Left:
        """A participant leaves: their tracks disappear from every subscriber."""
        self._member(pid)
        await self._drop(pid)
        return Left(pid)

    async def remove(self, by: str, target: str) -> Removed:
        """The leader removes a participant (told first, then disconnected)."""
        self._member(by)
        self._member(target)
        await self.emit(target, Removed(target, by=by))
        await self._drop(target)
        return Removed(target)

    async def _drop(self, pid: str) -> None:
        if screen_id(pid) in self.participants:
            await self._drop(screen_id(pid))  # a share ends with its owner
        participant = self.participants.pop(pid)
        self._speaker.forget(pid)
        if is_clip(pid):
            await self._close_clip(pid)
        for forwarder in participant.forwarders.values():
            self._end_recording(forwarder)
        await participant.close()
        for other in self.participants.values():
            other.resubscribe()

    def _sources(self, subscriber: str) -> list[Forwarder]:
        # A screen share goes where its owner's camera goes: the owner's group and
        # privacy decide, and nobody receives their own share back.
        # A clip is the lead's material for the whole room: everyone outside a private
        # group gets it, private mode or not (it shows nobody of the group).
        if is_media_only(subscriber):
            return []  # a share or a clip only publishes
        group = self.groups.get(subscriber, "")
        return [
            f
            for pid, p in self.participants.items()
            if owner_of(pid) != subscriber and self.groups.get(owner_of(pid), "") == group
            for f in p.forwarders.values()
            if is_clip(pid) or self.privacy.forwards(owner_of(pid), subscriber, f.kind)
        ]

    def set_group(self, members: list[str], group: str) -> Ok:
        """Move people into a private group ("" brings them back); everyone's
        subscriptions are renegotiated, so media stops (or resumes) crossing the line,
        and a recording leaves out whoever is in a private group."""
        self._check_open()
        for pid in members:
            if group:
                self.groups[pid] = group
            else:
                self.groups.pop(pid, None)
            for media_id in (pid, screen_id(pid)):
                member = self.participants.get(media_id)
                for forwarder in member.forwarders.values() if member else ():
                    self._attach_recording(forwarder)
        for participant in self.participants.values():
            participant.resubscribe()
        return Ok()

    def set_privacy(self, policy: PrivacyPolicy) -> Ok:
        """Set private group mode; subscriptions are renegotiated to follow it."""
        self._check_open()
        self.privacy = policy
        for participant in self.participants.values():
            participant.resubscribe()
        return Ok()

    def set_captions(self, listener: PcmListener | None) -> Ok:
        """Decode every audio track for captions (None: stop decoding)."""
        self._check_open()
        self.captions = listener
        for participant in self.participants.values():
            for forwarder in participant.forwarders.values():
                self._attach_captions(forwarder)
        return Ok()

    def _attach_captions(self, forwarder: Forwarder) -> None:
        if forwarder.kind != "audio" or self.captions is None:
            forwarder.caption_sink = None
        else:
            forwarder.caption_sink = AudioTap(forwarder.publisher_id, self.captions)

    # publishing

    async def publish(self, pid: str, sdp: str) -> PublishAnswer:
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
        return PublishAnswer(sdp=pc.localDescription.sdp)

    async def publish_screen(self, pid: str, sdp: str) -> PublishAnswer:
        """Answer a participant's screen-sharing offer (video only, its own connection).

        The share is forwarded as the pseudo-participant ``<pid>~screen`` (sfu/screen.py);
        publishing again replaces the earlier share connection.
        """
        self._member(pid)
        sid = screen_id(pid)
        pc = new_peer_connection(self._config)
        try:
            forwarders = await self._accept_offer(sid, pc, sdp)
            if set(forwarders) != {"video"}:
                raise BadSdp("a screen share publishes one video track and no audio")
            await gather_within(pc, await pc.createAnswer(), self._config.gather_timeout_s)
        except BaseException:
            await close_pc(pc, self._config.close_timeout_s, sid)
            raise
        if pid not in self.participants or self.closed:
            await close_pc(pc, self._config.close_timeout_s, sid)
            raise NotInRoom(f"{pid} left while sharing their screen")
        share = self.participants.get(sid)
        if share is None:
            share = self.participants[sid] = Participant(
                sid, self._config, self._emitter(sid), self._sources
            )
        await self._replace_publishing(share, pc, forwarders)
        logger.info("room %s: %s shares a screen", self.id, pid)
        return PublishAnswer(sdp=pc.localDescription.sdp)

    async def stop_screen(self, by: str, target: str) -> Ok:
        """Stop forwarding ``target``'s screen share (nothing to do if there is none)."""
        self._member(by)
        if screen_id(target) in self.participants:
            await self._drop(screen_id(target))
            logger.info("room %s: %s's screen share stopped", self.id, target)
        return Ok()

    async def clip(
        self, action: str, clip: str, path: str = "", offset: float | None = None
    ) -> ClipState:
        """Play, pause, resume, seek or stop a clip published as ``clip~<clip>``.

        ``keep`` plays it from ``offset`` only if the room does not have it yet (a room made
        after the app started the clip); otherwise it changes nothing.

        One clip at a time: playing another stops the first. The file's packets are
        forwarded as they are (sfu/clip.py); it is never recorded (the file is known).
        """
        self._check_open()
        cid = clip_id(clip)
        if action in ("play", "keep"):
            for other in [c for c in self.clips if c != cid]:
                await self._drop(other)
            if cid not in self.clips:
                await self._start_clip(cid, path)
                self.clips[cid][0].play(offset or 0.0)
            elif action == "play":
                self.clips[cid][0].play(offset or 0.0)
        elif action == "stop":
            if cid in self.participants:
                await self._drop(cid)
            return ClipState(clip=clip, playing=False, position=0.0, duration=0.0, gone=True)
        else:
            if cid not in self.clips:
                raise NotInRoom(f"clip {clip} is not playing in room {self.id}")
            player = self.clips[cid][0]
            if action == "pause":
                player.pause()
            elif action == "resume":
                player.play(offset)
            elif action == "seek":
                player.seek(offset or 0.0)
        player = self.clips[cid][0]
        return ClipState(
            clip=clip,
            playing=player.playing,
            position=round(player.position, 3),
            duration=player.duration,
        )

    async def _start_clip(self, cid: str, path: str) -> None:
        try:
            player = ClipPlayer(Path(path))
        except ClipRefused as exc:
            raise BadClip(str(exc)) from exc
        out = new_peer_connection(self._config)
        pc = new_peer_connection(self._config)
        try:
            for kind, track in player.tracks.items():
                transceiver = out.addTransceiver(track, direction="sendonly")
                if kind == "video":
                    mime = f"video/{player.video_codec}".lower()
                    transceiver.setCodecPreferences(
                        [
                            c
                            for c in RTCRtpSender.getCapabilities("video").codecs
                            if c.mimeType.lower() == mime
                        ]
                    )
            await gather_within(out, await out.createOffer(), self._config.gather_timeout_s)
            forwarders = await self._accept_offer(cid, pc, out.localDescription.sdp)
            await gather_within(pc, await pc.createAnswer(), self._config.gather_timeout_s)
            await out.setRemoteDescription(pc.localDescription)
        except BaseException:
            await player.stop()
            await close_pc(out, self._config.close_timeout_s, cid)
            await close_pc(pc, self._config.close_timeout_s, cid)
            raise
        self.clips[cid] = (player, out)
        clip = self.participants[cid] = Participant(
            cid, self._config, self._emitter(cid), self._sources
        )
        await self._replace_publishing(clip, pc, forwarders)
        logger.info("room %s: clip %s publishing", self.id, cid)

    async def _close_clip(self, cid: str) -> None:
        player, out = self.clips.pop(cid, (None, None))
        if player is not None:
            await player.stop()
        if out is not None:
            await close_pc(out, self._config.close_timeout_s, cid)

    async def _accept_offer(
        self, pid: str, pc: RTCPeerConnection, sdp: str
    ) -> dict[str, Forwarder]:
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        except Exception as exc:
            if offer_has_no_usable_codec(exc):
                raise UnsupportedCodec(f"no forwardable codec in the offer: {exc}") from exc
            raise BadSdp(f"offer rejected: {exc}") from exc
        forwarders: dict[str, Forwarder] = {}
        for transceiver in pc.getTransceivers():
            if not rtp_transceiver.offered_for_sending(transceiver):
                continue  # the publishing connection only receives
            if not rtp_transceiver.keep_codecs(transceiver, FORWARDED_MIME_TYPES):
                raise UnsupportedCodec(
                    f"{transceiver.kind} codecs offered are not forwarded "
                    f"(forwarded: {', '.join(FORWARDED_MIME_TYPES)})"
                )
            # In-band FEC: the publisher's Opus encoder adds repair data for lost
            # packets, forwarded untouched to every subscriber (offered the same).
            rtp_transceiver.set_codec_parameters(transceiver, "audio/opus", OPUS_FMTP)
            if transceiver.kind in forwarders:
                raise BadSdp(f"only one {transceiver.kind} track per participant")
            forwarders[transceiver.kind] = Forwarder(
                publisher_id=pid,
                transceiver=transceiver,
                config=self._config,
                on_audio_level=self._speaker.observe,
                simulcast=parse_simulcast(sdp) if transceiver.kind == "video" else None,
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
            self._attach_captions(forwarder)
        for other in self.participants.values():
            if other is not participant:
                other.resubscribe()

    # mutes and subscriptions

    async def mute(self, pid: str, kind: Kind, muted: bool) -> Muted:
        """A participant mutes or unmutes their own audio or video (kept across republishing)."""
        participant = self._member(pid)
        if not muted and kind in participant.server_muted:
            raise MutedByLeader(f"{kind} was muted by the leader")
        _toggle(participant.self_muted, kind, muted)
        self._apply_mutes(participant, kind)
        event = Muted(participant=pid, kind=kind, muted=muted, by=pid)
        await self.broadcast(event)
        return event

    async def server_mute(self, by: str, target: str, kind: Kind, muted: bool) -> Muted:
        """The leader stops (or resumes) forwarding a participant's track, and everyone is told."""
        self._member(by)
        participant = self._member(target)
        _toggle(participant.server_muted, kind, muted)
        self._apply_mutes(participant, kind)
        event = Muted(participant=target, kind=kind, muted=muted, by=by)
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

    def audio_only(self, pid: str, on: bool) -> AudioOnlyChanged:
        """Stop (or resume) forwarding video to a participant on a weak link."""
        self._member(pid).set_audio_only(on)
        return AudioOnlyChanged(on)

    def view(self, pid: str, publisher: str, height: int) -> Ok:
        """A subscriber shows `publisher`'s video `height` device pixels tall."""
        participant = self._member(pid)
        participant.tile_heights[publisher] = height
        self._choose_layers(participant, time.monotonic())
        return Ok()

    def restart_subscriptions(self, pid: str) -> Ok:
        """Recover a participant's subscribing side with a fresh connection (ICE restart)."""
        self._member(pid).restart_subscriptions()
        return Ok()

    async def apply_answer(self, pid: str, sdp: str) -> Ok:
        """A subscriber answers the SFU's subscribing offer."""
        await self._member(pid).apply_answer(sdp)
        return Ok()

    # recording

    async def record(self, by: str, on: bool, allowed: list[str]) -> Recording:
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
        await self.broadcast(Recording(on, path))
        files = self.recording.files() if self.recording else []
        return Recording(on, path, tuple(files))

    def _end_recording(self, forwarder: Forwarder) -> None:
        forwarder.set_frame_sink(None)
        if self.recording is not None:
            self.recording.end(forwarder.publisher_id, forwarder.kind)

    def _attach_recording(self, forwarder: Forwarder) -> None:
        if self.recording is None:
            return
        if is_clip(forwarder.publisher_id):
            return  # a clip is a known file, not a person: never recorded
        if self.groups.get(owner_of(forwarder.publisher_id)):
            # A private talk is never recorded: the log only says that it happened.
            self._end_recording(forwarder)
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

    async def emit(self, pid: str, event: Event) -> None:
        """Send one event to one participant; failures are logged, never raised."""
        try:
            await asyncio.wait_for(self._emit(self.id, pid, event.to_wire()), EMIT_TIMEOUT_S)
        except Exception:
            logger.exception("room %s: emitting %s to %s failed", self.id, event.TYPE, pid)

    async def broadcast(self, event: Event) -> None:
        """Send one event to every participant (shares and clips are no one's browser)."""
        for pid in [p for p in self.participants if not is_media_only(p)]:
            await self.emit(pid, event)

    def _emitter(self, pid: str) -> Callable[[Event], Awaitable[None]]:
        async def emit(event: Event) -> None:
            await self.emit(pid, event)

        return emit

    async def _speaker_loop(self) -> None:
        while True:
            await asyncio.sleep(self._config.speaker_interval_s)
            speaker = self._speaker.pick()
            if speaker is not None and speaker in self.participants:
                await self.broadcast(Speaker(speaker))

    def video_cap_bps(self) -> int:
        """Each publisher's video cap: the subscriber budget shared by the streams one receives."""
        return self._budget.cap_bps(list(self.participants.values()))

    async def _budget_loop(self) -> None:
        while True:
            await asyncio.sleep(self._config.remb_interval_s)
            participants = list(self.participants.values())
            await self._budget.apply(participants)
            now = time.monotonic()
            for participant in participants:
                for leg in participant.legs.values():
                    leg.sample_send_rate(now)
                video = participant.forwarders.get("video")
                if video is not None and video.layer_count > 1:
                    video.sample_layers(now)
            for participant in participants:
                if is_media_only(participant.id):
                    continue  # a share or a clip receives nothing
                await self._check_link(participant)
                await self._check_floor(participant, now)
                self._choose_layers(participant, now)
            for participant in participants:
                await self._tell_unused_layers(participant)

    async def _resume_loop(self) -> None:
        """Tell publishers at once when a leg moved to a layer they were told to pause.

        A Chromium publisher encodes no paused layer: a leg moving down to one got nothing
        until the next once-a-second look told the publisher, and then its first keyframe.
        """
        while True:
            await self._resume.wait()
            self._resume.clear()
            wanted, self._resume_wanted = self._resume_wanted, set()
            for pid in wanted:
                publisher = self.participants.get(pid)
                if publisher is not None:
                    await self._tell_unused_layers(publisher)

    async def _padding_loop(self) -> None:
        """Send the padding of the layer trials running (`LayerChooser.trial`), paced
        every `PADDING_INTERVAL_S`, while there are any."""
        while True:
            await self._trials.wait()
            self._trials.clear()
            last = time.monotonic()
            while True:
                await asyncio.sleep(PADDING_INTERVAL_S)
                now = time.monotonic()
                running = False
                for participant in list(self.participants.values()):
                    for track_id, chooser in participant.layer_choosers.items():
                        if (trial := chooser.trial) is None:
                            continue
                        leg = participant.legs.get(track_id)
                        if leg is None or not leg.can_pad:
                            chooser.trial = None  # gone, paused or restarting: no verdict
                        else:
                            leg.pad(trial.bps, now - last)
                            running = True
                if not running:
                    break
                last = now

    async def _tell_unused_layers(self, publisher: Participant) -> None:
        """Tell a publisher when the set of its simulcast layers nobody receives changes."""
        video = publisher.forwarders.get("video")
        if video is None or video.layer_count < 2 or is_media_only(publisher.id):
            return
        if not video.layer_pause.update(video.layer_bps, video.legs, time.monotonic()):
            return
        unused = sorted(video.layer_pause.paused)
        logger.info("participant %s: layers nobody receives: %s", publisher.id, unused)
        await self.emit(publisher.id, LayersUnused(paused=tuple(unused)))

    async def _check_link(self, participant: Participant) -> None:
        """Tell a subscriber when its video loss crosses the weak-link threshold (and back)."""
        if participant.trialing():
            return  # what a layer trial's padding costs is no weak link (see `_check_floor`)
        loss = participant.video_loss()
        if not participant.link.update(loss, participant.audio_only, time.monotonic()):
            return
        weak = participant.link.weak
        estimate = participant.video_estimate_bps()
        event = LinkQualityChanged(
            weak=weak,
            loss=round(loss, 3),
            estimate_kbps=None if estimate is None else estimate // 1000,
            suggest="audio_only" if weak and not participant.audio_only else None,
        )
        await self.emit(participant.id, event)

    async def _check_floor(self, participant: Participant, now: float) -> None:
        """Audio only when the link is too weak for any video; video back after a calm spell."""
        if participant.audio_only:
            return  # the person chose sound only: the SFU does not decide for them
        if participant.trialing():
            # A layer trial's padding may overfill the link on purpose: what the sound
            # and video lose meanwhile is the trial's verdict, not the link's (Chromium
            # at 600 kbit/s with 10 % loss was put on sound only by it).
            return
        legs = participant.video_link_legs()
        # Chromium reports on its sound every 5 s or so: a figure that covers the queue
        # of a layer just left would put a link that carries the new one on sound only.
        since = participant.audio_floor.stepped_at
        video_loss, sound_loss = participant.video_loss(since), participant.sound_loss(since)
        trend = participant.audio_floor.trend  # of the video flowing, not of sound only
        link = weak_link_estimate(
            legs,
            sound_sent_bps=participant.sound_sent_bps(),
            floor_bps=self._config.audio_floor_kbps * 1000,
            video_loss=video_loss,
            sound_loss=sound_loss,
            trend=trend.update(video_loss, sound_loss) if legs else trend.figures,
            sound_random=participant.audio_floor.sound_random,
        )
        if link is None and legs and video_loss <= PROBE_LOSS and participant.sound_reported(since):
            # The video arrives whole and the link carries it: what the sound loses is the
            # link's own random loss (a full queue drops the video too).
            participant.audio_floor.learn_sound(sound_loss)
        if link is not None and participant.drop_video_to_lowest(now):
            link = None  # the lowest layers come first: audio only is the last step down
        if not participant.audio_floor.update(link, now):
            return
        video = not participant.audio_floor.audio_only
        participant.apply_video_hold()
        if not video:
            participant.retry_video_low(now)
        logger.info(
            "participant %s: video %s (link estimate %s bit/s, legs %s)",
            participant.id,
            "resumed" if video else "paused, audio only",
            link,
            legs,
        )
        text = VIDEO_BACK_TEXT if video else VIDEO_PAUSED_TEXT
        await self.emit(participant.id, MediaChanged(video=video, reason="weak_link", text=text))

    def _layered_leg_reported(self, participant: Participant, track_id: str) -> None:
        """A simulcast leg's subscriber reported on it: a leg losing most of what it is sent
        moves down now, not at the next once-a-second look (that wait was half of the time
        Chromium took to show the low layer after its link fell from 2 Mbit/s to 250 kbit/s).
        Calmer figures wait for the look, whose holds and counts go by its pace."""
        leg = participant.legs.get(track_id)
        chooser = participant.layer_choosers.get(track_id)
        if chooser is not None and chooser.trial is not None:
            # A trial's padding that does not fit stops at the first figure that says so.
            if leg is None or leg.fraction_lost <= PROBE_LOSS:
                return
        elif leg is None or leg.paused or leg.target_layer == 0 or leg.fraction_lost <= SEVERE_LOSS:
            return
        if self.participants.get(participant.id) is participant:
            self._choose_layers(participant, time.monotonic(), only=track_id)

    def _choose_layers(self, participant: Participant, now: float, only: str | None = None) -> None:
        """Pick each simulcast leg's layer (or only one's) from its estimate, its loss and the
        tile size."""
        legs = [
            (track_id, leg)
            for track_id, leg in participant.legs.items()
            if leg.kind == "video" and leg.layers > 1 and not leg.paused
        ]
        stepped_at = participant.audio_floor.stepped_at
        trial_ends = participant.audio_floor.trial_ends  # of video back after sound only
        sound_loss = participant.sound_loss(stepped_at)
        sound_reported = participant.sound_reported(stepped_at)
        for track_id, leg in legs:
            if only is not None and track_id != only:
                continue
            forwarder = participant.leg_source(track_id)
            if forwarder is None:
                continue
            if leg.loss_since < stepped_at:
                # Its last report still covers the layer it left (a failed step up to a
                # layer the link cannot carry lost 80 %, and the next report, 33 %, took
                # the leg on down to the lowest): wait for one about the layer it has.
                continue
            report = LegReport(
                estimate_bps=_share_of(leg, [other for _, other in legs]),
                loss=leg.fraction_lost,
                loss_before=leg.fraction_lost_before,
                layer_bps=forwarder.layer_bps,
                layer_heights=tuple(forwarder.layer_heights),
                tile_height=participant.tile_heights.get(forwarder.publisher_id),
                sound_loss=sound_loss,
                sent_bps=leg.send_bps or None,
                sound_reported=sound_reported,
                can_pad=self._config.layer_trials and leg.can_pad,
                loss_span=leg.loss_span,
            )
            chooser = participant.layer_choosers.get(track_id)
            if chooser is None:
                chooser = participant.layer_choosers[track_id] = LayerChooser(
                    up_hold_s=self._config.layer_up_hold_s,
                    max_hold_s=self._config.layer_max_hold_s,
                )
            if trial_ends is not None:
                chooser.hold_steps_up(trial_ends)
            trial = chooser.trial
            layer = chooser.choose(leg.target_layer, report, now)
            if chooser.trial_failed and trial is not None:
                leg.hold_estimate(trial.estimate, now + TRIAL_ESTIMATE_HOLD_S)
            if chooser.trial is not None and chooser.trial is not trial:
                logger.info(
                    "leg %s: trying layer %d with %d kbit/s of padding",
                    track_id,
                    chooser.trial.layer,
                    chooser.trial.bps // 1000,
                )
                self._trials.set()
            if chooser.trial_failed:
                logger.info("leg %s: layer trial did not fit (%s)", track_id, report)
                participant.stepped_down(now)  # the queue the padding filled drains
                leg.repair_anew()
            if layer != leg.target_layer:
                logger.info(
                    "leg %s: layer %d -> %d (%s)", track_id, leg.target_layer, layer, report
                )
            if layer < leg.target_layer:
                participant.stepped_down(now)
            if layer < leg.target_layer and (chooser.congested or report.loss > HEAVY_LOSS):
                # Off the congested layer at once, its repairs held until the new
                # keyframe is across (`drop_to_layer`): a failed step up (the middle
                # layer on 250 kbit/s) forwarded until the low layer's keyframe, and
                # repaired after it, kept the queue full; the keyframe's packets were
                # lost three times over and Chromium's picture stood 3 s.
                leg.drop_to_layer(layer)
            else:
                leg.select_layer(layer)
            if layer in forwarder.layer_pause.paused:
                self._resume_wanted.add(forwarder.publisher_id)
                self._resume.set()

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
            "tasks": sum(1 for loop in self._loops if loop.running)
            + sum(p.task_count for p in self.participants.values()),
            "legs": len(legs),
            "forwarded_packets": sum(leg.packets_sent for leg in legs)
            + sum(p.closed_legs_packets for p in self.participants.values()),
            "nacks_answered": sum(leg.nacks_answered for leg in legs),
            "keyframe_requests_sent": sum(
                k.sent for f in forwarders for k in f.keyframe_requesters
            ),
            "negotiations": sum(p.negotiations for p in self.participants.values()),
            "loop_restarts": sum(loop.restarts for loop in self._loops),
            "recording": self.recording is not None,
        }

    async def close(self) -> None:
        """Stop recording, close every participant and cancel every task (idempotent)."""
        if self.closed:
            return
        self.closed = True
        self._stop_recording()
        for loop in self._loops:
            await loop.close()
        # Everyone at once: each close waits on its connections (up to
        # close_timeout_s), so one after another made ending a group slow.
        for cid in list(self.clips):
            await self._close_clip(cid)
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


def _share_of(leg: DownTrack, legs: list[DownTrack]) -> int | None:
    """The part of a subscriber's estimate this leg may use.

    aiortc subscribers estimate each stream on its own; Chromium sends one estimate
    for all its video (the same value on every leg): a leg then gets what the
    others do not use now, and at least an equal share. (An equal split alone made
    a spotlighted top layer next to four thumbnails look like overuse.)
    """
    if leg.estimate_bps is None:
        return None
    others = [o for o in legs if o is not leg and o.estimate_bps == leg.estimate_bps]
    if not others:
        return leg.estimate_bps
    left = leg.estimate_bps - int(sum(o.send_bps for o in others))
    return max(left, leg.estimate_bps // (len(others) + 1))
