"""Typed SFU configuration with defaults; unknown keys are rejected."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class IceServer:
    """One STUN or TURN server."""

    url: str
    """e.g. `turn:turn.example.org:3478?transport=udp`."""
    username: str | None = None
    """TURN username (None for STUN)."""
    credential: str | None = None
    """TURN password (None for STUN)."""


@dataclass(frozen=True)
class SfuConfig:
    """Settings of one SFU process."""

    ice_host_addresses: tuple[str, ...] | None = ("127.0.0.1",)
    """Host candidates offered by aioice; None keeps aioice's own choice (all but loopback)."""
    ice_servers: tuple[IceServer, ...] = ()
    """STUN/TURN servers; empty means host candidates only (aiortc's default is a public STUN)."""
    video_budget_kbps: int = 2500
    """Upper bound on the video a subscriber receives in total; publishers are capped to a share."""
    min_video_kbps: int = 150
    """Floor of a publisher's cap, however many publishers share the budget."""
    recordings_dir: Path = Path("recordings")
    """Recordings go to `<recordings_dir>/<room_id>/`."""
    keyframe_window_s: float = 0.5
    """Keyframe requests within this window are merged into one: a subscriber flooding
    PLIs or FIRs makes its publisher send at most one keyframe per window."""
    keyframe_retry_s: float = 1.0
    """Re-request a keyframe if none arrived this long after a request."""
    packet_history: int = 512
    """RTP packets kept per subscriber leg to answer NACKs (a power of two)."""
    speaker_interval_s: float = 0.3
    """How often the dominant speaker is re-evaluated."""
    gather_timeout_s: float = 10.0
    """Upper bound on gathering ICE candidates for one description."""
    answer_timeout_s: float = 15.0
    """How long to wait for a subscriber's answer to a (re)offer."""
    offer_attempts: int = 3
    """Times one subscribing offer is sent without an answer before the subscribing
    connection is started afresh (a lost message, a browser that lost its state)."""
    max_dead_mlines: int = 16
    """Inactive m-lines (legs of people who left) a subscribing connection may carry
    before it is started afresh: aiortc never removes a transceiver, so each one stays in
    every later offer and answer (1.1 KB each) for the life of the connection, and an
    answer must fit the live channel's event limit (64 KB)."""
    close_timeout_s: float = 5.0
    """Upper bound on closing one peer connection."""
    remb_interval_s: float = 1.0
    """How often publishers are reminded of their video cap."""
    weak_link_loss: float = 0.1
    """Loss a subscriber reports on its video above which it is told its link is weak."""
    weak_link_clear_s: float = 5.0
    """How long a weak link must report under half that loss before it is called good again."""
    layer_up_hold_s: float = 3.0
    """How long a leg must be calm before it is moved one simulcast layer up."""
    layer_max_hold_s: float = 30.0
    """Upper bound of that wait after failed steps up (it doubles on each)."""
    layer_trials: bool = False
    """Try each simulcast step up with padding (RTX copies) up to the next layer's rate
    first (off: measured no better yet, docs/sfu.md "Layer trials")."""
    audio_floor_kbps: int = 100
    """Under this estimate a subscriber gets audio only, without asking."""
    link_drain_s: float = 4.0
    """After a video leg moves down a layer, how long a link still above the audio floor
    keeps its video: the queue the higher layer built drains, the reports catch up."""
    video_retry_s: float = 8.0
    """How long audio only lasts before video is tried again (doubles on each failed try)."""
    video_max_retry_s: float = 60.0
    """Upper bound of that wait."""
    video_proven_s: float = 60.0
    """How long video tried again must hold (without sound only in between) before the
    wait goes back to `video_retry_s`; sound only again sooner counts as a failed try."""

    def __post_init__(self) -> None:
        if self.video_budget_kbps <= 0 or self.min_video_kbps <= 0:
            raise ValueError("video budgets must be positive")
        if self.offer_attempts < 1:
            raise ValueError("offer_attempts must be at least 1")
        if self.max_dead_mlines < 1:
            raise ValueError("max_dead_mlines must be at least 1")
        if self.packet_history & (self.packet_history - 1):
            raise ValueError("packet_history must be a power of two")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SfuConfig:
        """Build a config from plain data (e.g. YAML), rejecting unknown keys."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown SFU settings: {sorted(unknown)}")
        values = dict(data)
        if "recordings_dir" in values:
            values["recordings_dir"] = Path(values["recordings_dir"])
        if values.get("ice_host_addresses") is not None:
            values["ice_host_addresses"] = tuple(values["ice_host_addresses"])
        values["ice_servers"] = tuple(
            IceServer(server) if isinstance(server, str) else IceServer(**server)
            for server in values.get("ice_servers", ())
        )
        return cls(**values)
