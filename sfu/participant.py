"""One participant's two peer connections: publishing (they offer), subscribing (we offer)."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)

from sfu.aiortc_internals.ice import close_ice_sockets
from sfu.aiortc_internals.peer_connection import connect_tasks
from sfu.config import SfuConfig
from sfu.downtrack import DownTrack, ParkedTrack
from sfu.errors import BadSdp, NegotiationTimeout
from sfu.forwarder import Forwarder
from sfu.layer_choice import ACTIVE_BPS, AudioFloor, LayerChooser, VideoLeg, tile_cap
from sfu.link_quality import LinkQuality
from sfu.messages import Event, SubscribeOffer, TrackAdded, TrackInfo, TrackRemoved
from sfu.supervision import stop_task

logger = logging.getLogger(__name__)

EmitSelf = Callable[[Event], Awaitable[None]]
Sources = Callable[[str], list[Forwarder]]


def new_peer_connection(config: SfuConfig) -> RTCPeerConnection:
    """A peer connection with the configured ICE servers, every m-line on one transport."""
    servers = [
        RTCIceServer(urls=s.url, username=s.username, credential=s.credential)
        for s in config.ice_servers
    ]
    return RTCPeerConnection(
        RTCConfiguration(iceServers=servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
    )


def codec_capability(codec: Any) -> Any:
    """The sender capability matching a publisher's negotiated codec.

    Opus is matched by name: the parameters the SFU asked of the publisher (in-band
    FEC) are for its encoder, and every receiver decodes FEC whatever it was offered.
    """
    opus = codec.mimeType.lower() == "audio/opus"
    for cap in RTCRtpSender.getCapabilities(codec.mimeType.split("/")[0]).codecs:
        if cap.mimeType.lower() == codec.mimeType.lower() and (
            opus or cap.parameters == codec.parameters
        ):
            return cap
    raise ValueError(f"no sender capability for {codec.mimeType}")


def rtx_capability() -> Any:
    """The video RTX capability (aiortc pairs it with each preferred codec)."""
    for cap in RTCRtpSender.getCapabilities("video").codecs:
        if cap.mimeType.lower() == "video/rtx":
            return cap
    raise ValueError("no RTX capability")


async def gather_within(
    pc: RTCPeerConnection, description: RTCSessionDescription, limit_s: float
) -> None:
    """setLocalDescription, which gathers every ICE candidate (STUN/TURN), bounded in time."""
    try:
        await asyncio.wait_for(pc.setLocalDescription(description), limit_s)
    except TimeoutError as exc:
        raise NegotiationTimeout(f"ICE gathering took longer than {limit_s} s") from exc


async def close_pc(pc: RTCPeerConnection, limit_s: float, who: str) -> None:
    """Close a peer connection, bounded in time, and the task still connecting it.

    The connect task goes first: left running, a handshake that ends just after the
    close starts the connection's senders and receivers anyway, and they (with the
    connection and its participant) are never freed (`connect_tasks`).
    """
    try:
        await asyncio.wait_for(_close(pc), limit_s)
    except TimeoutError:
        closed = close_ice_sockets(pc)
        logger.warning("closing %s's peer connection timed out (%d sockets closed)", who, closed)


async def _close(pc: RTCPeerConnection) -> None:
    for task in connect_tasks(pc):
        await stop_task(task)
    await pc.close()


class Participant:
    """Publishes through `pub_pc`, receives every other publisher through `sub_pc`.

    Subscriptions are renegotiated by one owned task: whenever the set of
    publishers changes the task adds or deactivates transceivers, offers,
    waits for the answer and attaches the new legs.
    """

    def __init__(self, pid: str, config: SfuConfig, emit: EmitSelf, sources: Sources) -> None:
        self.id = pid
        self.pub_pc: RTCPeerConnection | None = None
        self.sub_pc: RTCPeerConnection | None = None
        self.forwarders: dict[str, Forwarder] = {}
        self.legs: dict[str, DownTrack] = {}
        self.audio_only = False
        """Video stopped because the person asked for sound only."""
        self.audio_floor = AudioFloor(
            hold_s=config.video_retry_s,
            max_hold_s=config.video_max_retry_s,
            proven_s=config.video_proven_s,
            drain_s=config.link_drain_s,
            floor_bps=config.audio_floor_kbps * 1000,
        )
        """Video stopped by the SFU because the link is too weak for any."""
        self.tile_heights: dict[str, int] = {}
        """Publisher id -> how tall this participant shows that video (device pixels)."""
        self.layer_choosers: dict[str, LayerChooser] = {}
        self.on_layered_report: Callable[[str], None] | None = None
        """Called with a simulcast leg's track id when its subscriber reported on it (the
        room may move the leg down before its once-a-second look)."""
        self.link = LinkQuality(config.weak_link_loss, config.weak_link_clear_s)
        """Whether the videos this participant receives arrive over a weak link."""
        self.self_muted: set[str] = set()
        """Kinds this participant muted; new tracks start muted too."""
        self.server_muted: set[str] = set()
        """Kinds the leader muted on the server."""
        self.negotiations = 0
        self.closed_legs_packets = 0
        self._config = config
        self._emit = emit
        self._sources = sources
        self._dirty = asyncio.Event()
        self._answer: asyncio.Future[None] | None = None
        self._offer: SubscribeOffer | None = None
        """The subscribing offer still waiting for its answer (sent again if lost)."""
        self._unattached: list[DownTrack] = []
        """Legs of that offer, attached once it is answered."""
        self._offers_sent = 0
        self._last_answer = ""
        self._restart = False
        self._leg_sources: dict[str, Forwarder] = {}
        self._task = asyncio.create_task(self._negotiate_forever(), name=f"negotiate:{pid}")

    @property
    def weak_link(self) -> bool:
        """Whether this participant was told its link is weak."""
        return self.link.weak

    @property
    def task_count(self) -> int:
        """Owned tasks still running (negotiation + keyframe requesters)."""
        own = 0 if self._task.done() else 1
        return own + sum(
            1 for f in self.forwarders.values() for k in f.keyframe_requesters if k.running
        )

    def peer_connections(self) -> list[RTCPeerConnection]:
        """The open peer connections."""
        return [pc for pc in (self.pub_pc, self.sub_pc) if pc is not None]

    def resubscribe(self) -> None:
        """Ask the negotiation task to bring subscriptions up to date."""
        self._dirty.set()

    async def apply_answer(self, sdp: str) -> None:
        """Apply the browser's answer to the SFU's last subscribing offer."""
        pc = self.sub_pc
        if pc is not None and pc.signalingState == "stable" and sdp == self._last_answer:
            return  # the same answer again, to an offer that was sent again: already applied
        if pc is None or pc.signalingState != "have-local-offer":
            raise BadSdp("no subscribing offer is waiting for an answer")
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        except Exception as exc:
            raise BadSdp(f"answer rejected: {exc}") from exc
        self._last_answer = sdp
        if self._answer is not None and not self._answer.done():
            self._answer.set_result(None)
        else:
            self.resubscribe()  # a late answer: the task attaches what it brought

    def video_loss(self, since: float = 0.0) -> float:
        """The worst loss this participant's receiver reports on the videos it gets.

        Paused legs (audio only, a muted camera) do not count: their last report is stale.
        Nor do figures that cover time before monotonic `since`.
        """
        return self._loss("video", since)

    def sound_loss(self, since: float = 0.0) -> float:
        """The worst loss this participant's receiver reports on the sound it gets
        (figures covering time before monotonic `since` left out)."""
        return self._loss("audio", since)

    def sound_reported(self, since: float = 0.0) -> bool:
        """Whether any sound this participant receives has a loss figure covering only time
        after monotonic `since` (Chromium reports on its sound every 5 s or so)."""
        return any(leg.reported for leg in self._judged("audio", since))

    def _loss(self, kind: str, since: float) -> float:
        return max((leg.fraction_lost for leg in self._judged(kind, since)), default=0)

    def _judged(self, kind: str, since: float) -> Iterator[DownTrack]:
        """The flowing legs of `kind` whose loss figure covers only time after `since`."""
        return (
            leg
            for leg in self.legs.values()
            if leg.kind == kind and not leg.paused and leg.loss_since >= since
        )

    def video_estimate_bps(self) -> int | None:
        """The bandwidth this participant's receiver estimates for its videos (REMB), if any."""
        estimates = [leg.estimate_bps for leg in self.legs.values() if leg.estimate_bps]
        return max(estimates) if estimates else None

    def sound_sent_bps(self) -> float:
        """The sound sent to this participant over the last second."""
        return sum(
            leg.send_bps for leg in self.legs.values() if leg.kind == "audio" and not leg.paused
        )

    def video_link_legs(self) -> list[VideoLeg]:
        """The video legs flowing now with a REMB estimate, for the audio-only rule."""
        found = []
        for track_id, leg in self.legs.items():
            if leg.kind == "video" and not leg.paused and leg.estimate_bps:
                lowest_bps = self._lowest_layer(track_id)[1]
                found.append(VideoLeg(leg.estimate_bps, leg.send_bps, lowest_bps or leg.send_bps))
        return found

    def drop_video_to_lowest(self, now: float) -> bool:
        """Move every flowing video leg above its lowest layer down to it; False: none was."""
        dropped = False
        for track_id, leg in self.legs.items():
            lowest = self._lowest_layer(track_id)[0]
            if leg.kind == "video" and not leg.paused and leg.target_layer > lowest:
                logger.info(
                    "leg %s: layer %d -> %d (link short)", track_id, leg.target_layer, lowest
                )
                leg.drop_to_layer(lowest)
                chooser = self.layer_choosers.get(track_id)
                if chooser is not None:
                    chooser.back_off(now)
                dropped = True
        if dropped:
            self.stepped_down(now)
        return dropped

    def trialing(self) -> bool:
        """Whether a layer trial (`LayerChooser.trial`) is sending padding on a leg."""
        return any(chooser.trial is not None for chooser in self.layer_choosers.values())

    def stepped_down(self, now: float) -> None:
        """A video leg moved down a layer at monotonic `now`: the audio floor gives the link
        time to drain, and each video leg's next loss figure covers only the time after."""
        self.audio_floor.stepped_down(now)
        for leg in self.legs.values():
            if leg.kind == "video":
                leg.fresh_figure_after(self.audio_floor.stepped_at)

    def retry_video_low(self, now: float) -> None:
        """Paused video legs start again on their lowest layers, stepping up after a calm spell."""
        for track_id, leg in self.legs.items():
            if leg.kind == "video" and leg.paused:
                leg.select_layer(self._lowest_layer(track_id)[0])
                chooser = self.layer_choosers.get(track_id)
                if chooser is not None:
                    chooser.back_off(now)

    def _lowest_layer(self, track_id: str) -> tuple[int, float | None]:
        """A leg's lowest layer the publisher sends, and its rate (None: no simulcast)."""
        source = self._leg_sources.get(track_id)
        if source is None or source.layer_count < 2:
            return 0, None
        rates = source.layer_bps
        return next(((i, bps) for i, bps in enumerate(rates) if bps > ACTIVE_BPS), (0, None))

    @property
    def video_held(self) -> bool:
        """Whether video is stopped towards this participant (asked for, or a too weak link)."""
        return self.audio_only or self.audio_floor.audio_only

    def set_audio_only(self, on: bool) -> None:
        """Stop (or resume) forwarding video to this participant, as the person asked."""
        self.audio_only = on
        self.apply_video_hold()

    def apply_video_hold(self) -> None:
        """Pause or resume every video leg to match `video_held`."""
        held = self.video_held
        for leg in self.legs.values():
            if leg.kind == "video":
                if held:
                    leg.pause()
                elif leg.paused:
                    leg.estimate_bps = None  # stale from before the pause
                    leg.resume()

    def leg_source(self, track_id: str) -> Forwarder | None:
        """The publisher track a leg forwards."""
        return self._leg_sources.get(track_id)

    def restart_subscriptions(self) -> None:
        """Replace the subscribing connection with a fresh one (its offer has `new_pc: true`).

        aiortc 1.16 cannot restart ICE on a live connection; a new connection
        is the recovery a browser can always follow. The negotiation task does
        the work, so it never races a renegotiation in flight.
        """
        self._restart = True
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(NegotiationTimeout("subscribing connection restarted"))
        self.resubscribe()

    async def _reset_subscribing(self) -> None:
        self._offer, self._unattached, self._offers_sent = None, [], 0
        for track_id in list(self.legs):
            await self._drop_leg(track_id, announce=False)
        pc, self.sub_pc = self.sub_pc, None
        if pc is not None:
            await close_pc(pc, self._config.close_timeout_s, self.id)

    async def _negotiate_forever(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            try:
                await self._negotiate()
            except NegotiationTimeout as exc:
                logger.warning("participant %s: %s", self.id, exc)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("participant %s: subscription renegotiation failed", self.id)

    async def _negotiate(self) -> None:
        if self.sub_pc is not None and self.sub_pc.signalingState == "closed":
            # Closed under us (consent lost, DTLS failed): every offer on it would raise.
            logger.info("participant %s: subscribing connection closed, starting afresh", self.id)
            self._restart = True
        elif (dead := self._dead_mlines()) > self._config.max_dead_mlines:
            logger.info(
                "participant %s: %d inactive m-lines, starting a fresh subscribing connection",
                self.id,
                dead,
            )
            self._restart = True
        if self._restart:
            self._restart = False
            await self._reset_subscribing()
        if self._offer is not None and not await self._settle_offer():
            return
        new_pc = self.sub_pc is None
        wanted = {f.track_id: f for f in self._sources(self.id) if not f.closed}
        changed = False
        # A republished track has the same id but a new forwarder: replace its leg.
        stale = [t for t in self.legs if wanted.get(t) is not self._leg_sources[t]]
        for track_id in stale:
            await self._drop_leg(track_id)
            changed = True
        added: list[DownTrack] = []
        for track_id, forwarder in wanted.items():
            if track_id not in self.legs:
                added.append(self._add_leg(forwarder))
                changed = True
        if not changed:
            return
        pc = self._subscribing_pc()
        await gather_within(pc, await pc.createOffer(), self._config.gather_timeout_s)
        self.negotiations += 1
        for leg in added:
            await self._emit(TrackAdded(self._describe(leg)))
        tracks = tuple(self._describe(leg) for leg in self.legs.values())
        self._offer = SubscribeOffer(new_pc=new_pc, sdp=pc.localDescription.sdp, tracks=tracks)
        self._unattached, self._offers_sent = added, 0
        await self._send_offer()

    async def _settle_offer(self) -> bool:
        """Finish the offer still out; True once it is answered and its legs attached.

        An answer that came after the timeout was applied by ``apply_answer``; one
        that never came is asked for again with the same offer (a message lost on a
        reconnecting socket), and after ``offer_attempts`` the subscribing connection
        is started afresh, which a browser that lost its state can always follow.
        """
        pc = self.sub_pc
        if pc is not None and pc.signalingState == "stable":
            self._attach_answered()
            return True
        if self._offers_sent >= self._config.offer_attempts:
            logger.warning(
                "participant %s: %d offers unanswered, starting a fresh subscribing connection",
                self.id,
                self._offers_sent,
            )
            self._restart = True
            self._dirty.set()
            return False
        await self._send_offer()
        return False

    async def _send_offer(self) -> None:
        assert self._offer is not None
        loop = asyncio.get_running_loop()
        self._answer = loop.create_future()
        self._offers_sent += 1
        await self._emit(self._offer)
        try:
            # Not wait_for: on Python 3.11 it swallows a cancel that lands as the answer
            # does, and the seat being closed then waits on this task for good.
            async with asyncio.timeout(self._config.answer_timeout_s):
                await self._answer
        except TimeoutError as exc:
            self._dirty.set()
            raise NegotiationTimeout("no answer to the subscribing offer") from exc
        self._attach_answered()

    def _attach_answered(self) -> None:
        legs, self._unattached, self._offer = self._unattached, [], None
        for leg in legs:
            self._attach(leg)

    def _dead_mlines(self) -> int:
        """The subscribing connection's m-lines of legs dropped (aiortc keeps them all)."""
        pc = self.sub_pc
        if pc is None or self._offer is not None:
            return 0  # an offer is out: never start afresh under it
        return sum(1 for t in pc.getTransceivers() if t.direction == "inactive")

    def _subscribing_pc(self) -> RTCPeerConnection:
        if self.sub_pc is None:
            self.sub_pc = new_peer_connection(self._config)
        return self.sub_pc

    def _add_leg(self, forwarder: Forwarder) -> DownTrack:
        pc = self._subscribing_pc()
        transceiver = pc.addTransceiver(ParkedTrack(forwarder.kind), direction="sendonly")
        preferences = [codec_capability(forwarder.codec)]
        if forwarder.kind == "video" and self._config.layer_trials:
            # RTX too: its stream carries the padding that probes a link before a step up
            # (`DownTrack.pad`); repairs stay plain retransmissions on the media stream.
            preferences.append(rtx_capability())
        transceiver.setCodecPreferences(preferences)
        leg = DownTrack(
            publisher_id=forwarder.publisher_id,
            subscriber_id=self.id,
            transceiver=transceiver,
            is_keyframe=forwarder.is_keyframe,
            request_keyframe=forwarder.request_keyframe,
            history_size=self._config.packet_history,
            layers=forwarder.layer_count,
            vp8_ids=forwarder.layer_count > 1 and forwarder.mime_type == "video/vp8",
        )
        if forwarder.layer_count > 1:
            leg.on_report = functools.partial(self._layered_leg_reported, forwarder.track_id)
        self.legs[forwarder.track_id] = leg
        self._leg_sources[forwarder.track_id] = forwarder
        return leg

    def _layered_leg_reported(self, track_id: str) -> None:
        if self.on_layered_report is not None:
            self.on_layered_report(track_id)

    def _attach(self, leg: DownTrack) -> None:
        forwarder = self._leg_sources.get(_track_id(leg))
        if forwarder is None or forwarder.closed:
            self._dirty.set()
            return
        leg.activate()
        if leg.layers > 1:
            tile = self.tile_heights.get(forwarder.publisher_id)
            leg.select_layer(tile_cap(tuple(forwarder.layer_heights), tile))
        if self.video_held and leg.kind == "video":
            leg.pause()
        forwarder.add_leg(leg)

    async def _drop_leg(self, track_id: str, announce: bool = True) -> None:
        leg = self.legs.pop(track_id)
        if leg in self._unattached:
            self._unattached.remove(leg)
        forwarder = self._leg_sources.pop(track_id)
        forwarder.remove_leg(self.id)
        self.layer_choosers.pop(track_id, None)
        leg.transceiver.direction = "inactive"
        self.closed_legs_packets += leg.packets_sent
        await leg.close()
        if announce:
            await self._emit(TrackRemoved(self._describe(leg)))

    @staticmethod
    def _describe(leg: DownTrack) -> TrackInfo:
        return TrackInfo(
            participant=leg.publisher_id, kind=leg.kind, mid=leg.mid, track_id=_track_id(leg)
        )

    async def close(self) -> None:
        """Cancel the negotiation task, stop every leg, close both connections (idempotent)."""
        await stop_task(self._task)
        for track_id in list(self.legs):
            leg = self.legs.pop(track_id)
            forwarder = self._leg_sources.pop(track_id, None)
            if forwarder is not None:
                forwarder.remove_leg(self.id)
            self.closed_legs_packets += leg.packets_sent
            await leg.close()
        forwarders, self.forwarders = list(self.forwarders.values()), {}
        for forwarder in forwarders:
            await forwarder.close()
        for pc in self.peer_connections():
            await close_pc(pc, self._config.close_timeout_s, self.id)
        self.pub_pc = self.sub_pc = None


def _track_id(leg: DownTrack) -> str:
    return f"{leg.publisher_id}:{leg.kind}"
