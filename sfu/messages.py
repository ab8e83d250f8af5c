"""The SFU's narrow interface as typed messages: requests in, replies and events out.

A request arrives as a JSON-like dict and is checked once, here, by
`parse_request`; replies and events leave as dicts through `Message.to_wire`,
in the shape the browser (web/static/js) reads.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeAlias

from sfu.errors import BadMessage

Emit: TypeAlias = Callable[[str, str, dict[str, Any]], Awaitable[None]]
"""How the SFU reaches a browser: `emit(room_id, participant_id, event.to_wire())`."""
Kind: TypeAlias = Literal["audio", "video"]
Source: TypeAlias = Literal["camera", "screen"]
KINDS: tuple[Kind, ...] = ("audio", "video")
_ID = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.:-]{0,127}$")


def check_id(value: str, what: str) -> str:
    """A room, participant or target id: letters, digits and `_.:-`, at most 128."""
    if not _ID.match(value):
        raise BadMessage(f"{what} id {value!r} is not a valid id")
    return value


@dataclass(frozen=True)
class Message:
    """Any message the SFU takes or gives; `TYPE` is its wire `type`."""

    TYPE: ClassVar[str]

    def to_wire(self) -> dict[str, Any]:
        """The message as the JSON-like dict that crosses the interface (None fields left out)."""
        wire: dict[str, Any] = {"type": self.TYPE}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if isinstance(value, tuple):
                value = [v.to_wire() if isinstance(v, TrackInfo) else v for v in value]
            wire[f.name] = value
        return wire


# requests


@dataclass(frozen=True)
class Request(Message):
    """A participant's (or the app's) message to the SFU."""

    SERIALISED: ClassVar[bool] = False
    """Whether it changes membership or publishing: those run one at a time per room."""


@dataclass(frozen=True)
class Join(Request):
    """Join a room; re-joining replaces the participant's earlier connections."""

    TYPE = "join"
    SERIALISED = True


@dataclass(frozen=True)
class Publish(Request):
    """An offer to publish audio and/or video."""

    TYPE = "publish"
    SERIALISED = True
    sdp: str
    """The publishing connection's SDP offer."""
    source: Source = "camera"
    """`camera` (microphone and camera) or `screen` (a shared screen: video only, its own
    publishing connection, forwarded as the participant `<id>~screen`)."""


@dataclass(frozen=True)
class Answer(Request):
    """The answer to the SFU's latest subscribing offer."""

    TYPE = "answer"
    sdp: str
    """The subscribing connection's SDP answer."""


@dataclass(frozen=True)
class Mute(Request):
    """A participant mutes or unmutes their own audio or video."""

    TYPE = "mute"
    kind: Kind
    muted: bool = True

    def __post_init__(self) -> None:
        _check_kind(self.kind)


@dataclass(frozen=True)
class ServerMute(Request):
    """The leader stops (or resumes) forwarding another participant's track."""

    TYPE = "server_mute"
    target: str
    kind: Kind = "audio"
    muted: bool = True

    def __post_init__(self) -> None:
        check_id(self.target, "target")
        _check_kind(self.kind)


@dataclass(frozen=True)
class AudioOnly(Request):
    """Stop (or resume) receiving video, on a weak link."""

    TYPE = "audio_only"
    on: bool = True


@dataclass(frozen=True)
class View(Request):
    """How large the subscriber shows one publisher's video (device pixels).

    The SFU never sends a layer taller than the tile needs.
    """

    TYPE = "view"
    publisher: str
    width: int
    height: int

    def __post_init__(self) -> None:
        check_id(self.publisher, "publisher")
        for value in (self.width, self.height):
            if not 0 < value <= MAX_TILE:
                raise BadMessage(f"tile sides must be 1..{MAX_TILE} pixels")


MAX_TILE = 8192


@dataclass(frozen=True)
class IceRestart(Request):
    """Replace the subscribing connection with a fresh one."""

    TYPE = "ice_restart"
    SERIALISED = True


@dataclass(frozen=True)
class StopScreen(Request):
    """Stop forwarding a participant's screen share (theirs, or a lead's decision)."""

    TYPE = "stop_screen"
    SERIALISED = True
    target: str
    """Whose share stops."""

    def __post_init__(self) -> None:
        check_id(self.target, "target")


ClipAction: TypeAlias = Literal["play", "keep", "pause", "resume", "seek", "stop"]
CLIP_ACTIONS: tuple[str, ...] = ("play", "keep", "pause", "resume", "seek", "stop")


@dataclass(frozen=True)
class Clip(Request):
    """Play, pause, resume, seek or stop a clip file in the room (sfu/clip.py).

    Only the app sends this (browsers' media messages never reach it); ``path`` is the
    clip file the app stored, read by the SFU process.
    """

    TYPE = "clip"
    SERIALISED = True
    action: ClipAction
    clip: str
    path: str = ""
    offset: float | None = None

    def __post_init__(self) -> None:
        check_id(self.clip, "clip")
        if self.action in ("play", "keep") and not self.path.startswith("/"):
            raise BadMessage("'path' must be an absolute file path")
        if self.offset is not None and not 0 <= self.offset <= 24 * 3600:
            raise BadMessage("'offset' must be 0 or more seconds")


def _clip(message: dict[str, Any]) -> Clip:
    action = message.get("action")
    if action not in CLIP_ACTIONS:
        raise BadMessage(f"'action' must be one of {', '.join(CLIP_ACTIONS)}")
    offset = message.get("offset")
    if offset is not None and (not isinstance(offset, int | float) or isinstance(offset, bool)):
        raise BadMessage("'offset' must be a number of seconds")
    path = message.get("path", "")
    if not isinstance(path, str):
        raise BadMessage("'path' must be a string")
    return Clip(action, _str(message, "clip"), path, None if offset is None else float(offset))


@dataclass(frozen=True)
class Leave(Request):
    """Leave the room."""

    TYPE = "leave"
    SERIALISED = True


@dataclass(frozen=True)
class Remove(Request):
    """The leader removes a participant."""

    TYPE = "remove"
    SERIALISED = True
    target: str

    def __post_init__(self) -> None:
        check_id(self.target, "target")


@dataclass(frozen=True)
class Record(Request):
    """Start, update or stop recording the participants who consented."""

    TYPE = "record"
    SERIALISED = True
    on: bool
    allowed: tuple[str, ...] = ()
    """Ids of the participants who may be recorded."""

    def __post_init__(self) -> None:
        for pid in self.allowed:
            check_id(pid, "allowed")


@dataclass(frozen=True)
class Group(Request):
    """The app keeps some participants' media apart: they and the rest stop hearing each other."""

    TYPE = "group"
    SERIALISED = True
    members: tuple[str, ...]
    group: str = ""
    """The private group's name; "" puts the members back with the whole room."""

    def __post_init__(self) -> None:
        for pid in self.members:
            check_id(pid, "members")
        if self.group:
            check_id(self.group, "group")


@dataclass(frozen=True)
class Privacy(Request):
    """The app sets the room's private group mode (see sfu/privacy.py)."""

    TYPE = "privacy"
    SERIALISED = True
    on: bool
    voices: bool = True
    open: tuple[str, ...] = ()
    """Who sees and is seen by everyone (leads, supervisors, interpreters)."""
    shown: tuple[str, ...] = ()
    """Group members who chose to show themselves."""

    def __post_init__(self) -> None:
        for pid in (*self.open, *self.shown):
            check_id(pid, "privacy")


@dataclass(frozen=True)
class Captions(Request):
    """The app turns live captions on or off for the room (its audio is decoded only then)."""

    TYPE = "captions"
    SERIALISED = True
    on: bool


def _ids(message: dict[str, Any], key: str) -> tuple[str, ...]:
    ids = message.get(key, [])
    if not isinstance(ids, list) or len(ids) > 200 or not all(isinstance(i, str) for i in ids):
        raise BadMessage(f"'{key}' must be a list of at most 200 participant ids")
    return tuple(ids)


def _members(message: dict[str, Any]) -> tuple[str, ...]:
    members = message.get("members")
    if not isinstance(members, list) or not members or len(members) > 8:
        raise BadMessage("'members' must be a list of 1-8 participant ids")
    if not all(isinstance(m, str) for m in members):
        raise BadMessage("'members' must be a list of participant ids")
    return tuple(members)


def _group_name(message: dict[str, Any]) -> str:
    group = message.get("group", "")
    if not isinstance(group, str):
        raise BadMessage("'group' must be a string")
    return group


def _str(message: dict[str, Any], key: str) -> str:
    value = message.get(key)
    if not isinstance(value, str) or not value:
        raise BadMessage(f"'{key}' must be a non-empty string")
    return value


def _bool(message: dict[str, Any], key: str, default: bool | None = None) -> bool:
    value = message.get(key, default)
    if not isinstance(value, bool):
        raise BadMessage(f"'{key}' must be true or false")
    return value


def _check_kind(kind: object) -> Kind:
    for known in KINDS:
        if kind == known:
            return known
    raise BadMessage("'kind' must be 'audio' or 'video'")


def _kind(message: dict[str, Any], default: Kind | None = None) -> Kind:
    return _check_kind(message.get("kind", default))


def _int(message: dict[str, Any], key: str) -> int:
    value = message.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadMessage(f"'{key}' must be a whole number")
    return value


def _allowed(message: dict[str, Any]) -> tuple[str, ...]:
    allowed = message.get("allowed", [])
    if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
        raise BadMessage("'allowed' must be a list of participant ids")
    return tuple(allowed)


def _publish(message: dict[str, Any]) -> Publish:
    if message.get("sdp_type", "offer") != "offer":
        raise BadMessage("publish carries an offer")
    source = message.get("source", "camera")
    if source not in ("camera", "screen"):
        raise BadMessage("'source' must be 'camera' or 'screen'")
    return Publish(_str(message, "sdp"), source)


def _ice_restart(message: dict[str, Any]) -> IceRestart:
    if message.get("pc", "sub") != "sub":
        raise BadMessage("restart publishing by sending a new 'publish' offer")
    return IceRestart()


_PARSERS: dict[str, Callable[[dict[str, Any]], Request]] = {
    Join.TYPE: lambda m: Join(),
    Publish.TYPE: _publish,
    Answer.TYPE: lambda m: Answer(_str(m, "sdp")),
    Mute.TYPE: lambda m: Mute(_kind(m), _bool(m, "muted", True)),
    ServerMute.TYPE: lambda m: ServerMute(
        _str(m, "target"), _kind(m, "audio"), _bool(m, "muted", True)
    ),
    AudioOnly.TYPE: lambda m: AudioOnly(_bool(m, "on", True)),
    View.TYPE: lambda m: View(_str(m, "publisher"), _int(m, "width"), _int(m, "height")),
    IceRestart.TYPE: _ice_restart,
    Leave.TYPE: lambda m: Leave(),
    StopScreen.TYPE: lambda m: StopScreen(_str(m, "target")),
    Clip.TYPE: _clip,
    Remove.TYPE: lambda m: Remove(_str(m, "target")),
    Record.TYPE: lambda m: Record(_bool(m, "on"), _allowed(m)),
    Group.TYPE: lambda m: Group(_members(m), _group_name(m)),
    Captions.TYPE: lambda m: Captions(_bool(m, "on")),
    Privacy.TYPE: lambda m: Privacy(
        _bool(m, "on"), _bool(m, "voices", True), _ids(m, "open"), _ids(m, "shown")
    ),
}


def parse_request(message: object) -> Request:
    """Check a JSON-like message and return it typed; raises BadMessage."""
    if not isinstance(message, dict):
        raise BadMessage("a message must be an object")
    kind = message.get("type")
    parser = _PARSERS.get(kind) if isinstance(kind, str) else None
    if parser is None:
        raise BadMessage(f"unknown message type {kind!r}")
    return parser(message)


# replies and events


@dataclass(frozen=True)
class TrackInfo:
    """One forwarded track as a subscriber sees it (part of other messages)."""

    participant: str
    """The publisher."""
    kind: str
    """`audio` or `video`."""
    mid: str | None
    """The subscriber-side m-line id."""
    track_id: str
    """`<publisher>:<kind>`."""

    def to_wire(self) -> dict[str, Any]:
        """The track's fields as a JSON-like dict."""
        return {
            "participant": self.participant,
            "kind": self.kind,
            "mid": self.mid,
            "track_id": self.track_id,
        }


@dataclass(frozen=True)
class ClipState(Message):
    """Reply to `clip`: where the clip is (``gone``: stopped and removed)."""

    TYPE = "clip"
    clip: str
    playing: bool
    position: float
    duration: float
    gone: bool = False


@dataclass(frozen=True)
class Joined(Message):
    """Reply to `join`."""

    TYPE = "joined"
    participant: str


@dataclass(frozen=True)
class Left(Message):
    """Reply to `leave`."""

    TYPE = "left"
    participant: str


@dataclass(frozen=True)
class Removed(Message):
    """Reply to `remove`; with `by`, the event the removed participant gets first."""

    TYPE = "removed"
    participant: str
    by: str | None = None


@dataclass(frozen=True)
class PublishAnswer(Message):
    """Reply to `publish`: the SFU's answer for the publishing connection."""

    TYPE = "answer"
    pc: str = field(default="pub", init=False)
    sdp: str


@dataclass(frozen=True)
class Muted(Message):
    """Reply to `mute`/`server_mute`, and the event everyone in the room gets."""

    TYPE = "muted"
    participant: str
    kind: Kind
    muted: bool
    by: str
    """Who muted: the participant themself or the leader."""


@dataclass(frozen=True)
class AudioOnlyChanged(Message):
    """Reply to `audio_only`."""

    TYPE = "audio_only"
    on: bool


@dataclass(frozen=True)
class Ok(Message):
    """Reply to `answer` and `ice_restart`."""

    TYPE = "ok"


@dataclass(frozen=True)
class Recording(Message):
    """The event everyone gets when recording starts or stops; with `files`, the reply."""

    TYPE = "recording"
    on: bool
    path: str
    """The folder the recording goes to."""
    files: tuple[str, ...] | None = None


@dataclass(frozen=True)
class SubscribeOffer(Message):
    """The SFU's (re)offer for a participant's subscribing connection."""

    TYPE = "offer"
    pc: str = field(default="sub", init=False)
    new_pc: bool
    """True when the browser must answer on a new connection (first offer, ICE restart)."""
    sdp: str
    tracks: tuple[TrackInfo, ...]
    """Every track the connection carries."""


@dataclass(frozen=True)
class TrackAdded(Message):
    """A track was added to the participant's subscribing connection."""

    TYPE = "track_added"
    track: TrackInfo

    def to_wire(self) -> dict[str, Any]:
        """The track's fields next to `type`, as the browser reads them."""
        return {"type": self.TYPE, **self.track.to_wire()}


@dataclass(frozen=True)
class TrackRemoved(TrackAdded):
    """A track left the participant's subscribing connection."""

    TYPE = "track_removed"


@dataclass(frozen=True)
class Speaker(Message):
    """A new dominant speaker."""

    TYPE = "speaker"
    participant: str


@dataclass(frozen=True)
class LinkQualityChanged(Message):
    """A subscriber's link turned weak, or good again."""

    TYPE = "link_quality"
    weak: bool
    loss: float
    """The worst fraction lost on the videos it receives (0..1, 3 decimals)."""
    estimate_kbps: int | None = None
    """The receiver's bandwidth estimate, when it sends one."""
    suggest: Literal["audio_only"] | None = None
    """What the browser may offer the person to do."""


@dataclass(frozen=True)
class MediaChanged(Message):
    """The SFU stopped (or restarted) sending video to a subscriber by itself."""

    TYPE = "media"
    video: bool
    reason: Literal["weak_link"]
    text: str
    """What to tell the person, in plain words."""


@dataclass(frozen=True)
class LayersUnused(Message):
    """To a publisher: the simulcast layers (0 = lowest) nobody receives now; its browser
    pauses encoding them (and sends the others), until a later message says otherwise."""

    TYPE = "layers"
    paused: tuple[int, ...]


VIDEO_PAUSED_TEXT = (
    "Your internet is slow right now. You still hear everyone. "
    "Video will come back when your connection gets better."
)
VIDEO_BACK_TEXT = "Your connection is better. Video is back."


Event: TypeAlias = (
    Muted
    | Removed
    | Recording
    | SubscribeOffer
    | TrackAdded
    | Speaker
    | LinkQualityChanged
    | MediaChanged
    | LayersUnused
)
Reply: TypeAlias = (
    Joined | Left | Removed | PublishAnswer | Muted | AudioOnlyChanged | Ok | Recording | ClipState
)
