"""One participant's two peer connections: publishing (they offer), subscribing (we offer)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)

from sfu.config import SfuConfig
from sfu.downtrack import DownTrack, ParkedTrack
from sfu.errors import BadSdp, NegotiationTimeout
from sfu.forwarder import Forwarder

logger = logging.getLogger(__name__)

EmitSelf = Callable[[dict[str, Any]], Awaitable[None]]
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
    """The sender capability matching a publisher's negotiated codec."""
    for cap in RTCRtpSender.getCapabilities(codec.mimeType.split("/")[0]).codecs:
        if cap.mimeType.lower() == codec.mimeType.lower() and cap.parameters == codec.parameters:
            return cap
    raise ValueError(f"no sender capability for {codec.mimeType}")


async def gather_within(
    pc: RTCPeerConnection, description: RTCSessionDescription, limit_s: float
) -> None:
    """setLocalDescription, which gathers every ICE candidate (STUN/TURN), bounded in time."""
    try:
        await asyncio.wait_for(pc.setLocalDescription(description), limit_s)
    except TimeoutError as exc:
        raise NegotiationTimeout(f"ICE gathering took longer than {limit_s} s") from exc


async def close_pc(pc: RTCPeerConnection, limit_s: float, who: str) -> None:
    """Close a peer connection, bounded in time."""
    try:
        await asyncio.wait_for(pc.close(), limit_s)
    except TimeoutError:
        logger.warning("closing %s's peer connection timed out", who)


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
        self.weak_link = False
        self.calm_since: float | None = None
        """Since when (monotonic) a weak link has reported little loss."""
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
        self._restart = False
        self._leg_sources: dict[str, Forwarder] = {}
        self._task = asyncio.create_task(self._negotiate_forever(), name=f"negotiate:{pid}")

    @property
    def task_count(self) -> int:
        """Owned tasks still running (negotiation + keyframe requesters)."""
        own = 0 if self._task.done() else 1
        return own + sum(1 for f in self.forwarders.values() if f.keyframes.running)

    def peer_connections(self) -> list[RTCPeerConnection]:
        """The open peer connections."""
        return [pc for pc in (self.pub_pc, self.sub_pc) if pc is not None]

    def resubscribe(self) -> None:
        """Ask the negotiation task to bring subscriptions up to date."""
        self._dirty.set()

    async def apply_answer(self, sdp: str) -> None:
        """Apply the browser's answer to the SFU's last subscribing offer."""
        pc = self.sub_pc
        if pc is None or pc.signalingState != "have-local-offer":
            raise BadSdp("no subscribing offer is waiting for an answer")
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        except Exception as exc:
            raise BadSdp(f"answer rejected: {exc}") from exc
        if self._answer is not None and not self._answer.done():
            self._answer.set_result(None)

    def video_loss(self) -> float:
        """The worst loss this participant's receiver reports on the videos it gets.

        Paused legs (audio only, a muted camera) do not count: their last report is stale.
        """
        return max(
            (
                leg.fraction_lost
                for leg in self.legs.values()
                if leg.kind == "video" and not leg.paused
            ),
            default=0,
        )

    def video_estimate_bps(self) -> int | None:
        """The bandwidth this participant's receiver estimates for its videos (REMB), if any."""
        estimates = [leg.estimate_bps for leg in self.legs.values() if leg.estimate_bps]
        return max(estimates) if estimates else None

    def set_audio_only(self, on: bool) -> None:
        """Stop (or resume) forwarding video to this participant."""
        self.audio_only = on
        for leg in self.legs.values():
            if leg.kind == "video":
                if on:
                    leg.pause()
                else:
                    leg.resume()

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
        if self._restart:
            self._restart = False
            await self._reset_subscribing()
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
        loop = asyncio.get_running_loop()
        self._answer = loop.create_future()
        for leg in added:
            await self._emit({"type": "track_added", **self._describe(leg)})
        await self._emit(
            {
                "type": "offer",
                "pc": "sub",
                "new_pc": new_pc,
                "sdp": pc.localDescription.sdp,
                "tracks": [self._describe(leg) for leg in self.legs.values()],
            }
        )
        try:
            await asyncio.wait_for(self._answer, self._config.answer_timeout_s)
        except TimeoutError as exc:
            self._dirty.set()
            raise NegotiationTimeout("no answer to the subscribing offer") from exc
        for leg in added:
            self._attach(leg)

    def _subscribing_pc(self) -> RTCPeerConnection:
        if self.sub_pc is None:
            self.sub_pc = new_peer_connection(self._config)
        return self.sub_pc

    def _add_leg(self, forwarder: Forwarder) -> DownTrack:
        pc = self._subscribing_pc()
        transceiver = pc.addTransceiver(ParkedTrack(forwarder.kind), direction="sendonly")
        transceiver.setCodecPreferences([codec_capability(forwarder.codec)])
        leg = DownTrack(
            publisher_id=forwarder.publisher_id,
            subscriber_id=self.id,
            transceiver=transceiver,
            is_keyframe=forwarder.is_keyframe,
            request_keyframe=forwarder.request_keyframe,
            history_size=self._config.packet_history,
        )
        self.legs[forwarder.track_id] = leg
        self._leg_sources[forwarder.track_id] = forwarder
        return leg

    def _attach(self, leg: DownTrack) -> None:
        forwarder = self._leg_sources.get(_track_id(leg))
        if forwarder is None or forwarder.closed:
            self._dirty.set()
            return
        leg.activate()
        if self.audio_only and leg.kind == "video":
            leg.pause()
        forwarder.add_leg(leg)

    async def _drop_leg(self, track_id: str, announce: bool = True) -> None:
        leg = self.legs.pop(track_id)
        forwarder = self._leg_sources.pop(track_id)
        forwarder.remove_leg(self.id)
        leg.transceiver.direction = "inactive"
        self.closed_legs_packets += leg.packets_sent
        await leg.close()
        if announce:
            await self._emit({"type": "track_removed", **self._describe(leg)})

    @staticmethod
    def _describe(leg: DownTrack) -> dict[str, Any]:
        return {
            "participant": leg.publisher_id,
            "kind": leg.kind,
            "mid": leg.mid,
            "track_id": _track_id(leg),
        }

    async def close(self) -> None:
        """Cancel the negotiation task, stop every leg, close both connections (idempotent)."""
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
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
