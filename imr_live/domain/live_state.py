"""The live state of one session, derived only from its log.

``LiveState.apply`` is the one reducer: the server keeps state by applying each
event it appends, and rebuilds it after a restart by applying the stored log.
So what people see after a crash is exactly what the log says.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from imr_live.domain.roles import Role
from imr_live.store.session_log import LogEvent

CHAT_KEPT = 50
WAITING, ADMITTED, DENIED, LEFT, DROPPED, REMOVED = (
    "waiting",
    "admitted",
    "denied",
    "left",
    "dropped",
    "removed",
)


@dataclass(slots=True)
class Person:
    """Someone who has come to this session at least once."""

    id: str
    """Participant id (staff account id or invite id)."""
    role: Role
    """Their role in the session."""
    display_name: str
    """Name shown to others; set at join, changeable by the leader."""
    status: str = WAITING
    """waiting, admitted, denied, left, dropped or removed."""
    ever_admitted: bool = False
    """True once admitted: they come back without waiting again."""
    consent: bool | None = None
    """Recording consent: True given, False declined, None not asked yet."""

    @property
    def present(self) -> bool:
        """True while they are in the room."""
        return self.status == ADMITTED

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view for the wire."""
        return {
            "id": self.id,
            "role": self.role.value,
            "display_name": self.display_name,
            "status": self.status,
            "consent": self.consent,
        }


@dataclass(slots=True)
class LiveState:
    """Everything a late joiner needs to see the session as it is now."""

    session_id: str
    status: str = "scheduled"
    locked: bool = False
    people: dict[str, Person] = field(default_factory=dict)
    slide: dict[str, Any] | None = None
    role_play: dict[str, Any] | None = None
    hands: list[str] = field(default_factory=list)
    recording: bool = False
    server_muted: dict[str, list[str]] = field(default_factory=dict)
    """Participant id -> kinds ("audio", "video") the leader stopped forwarding."""
    chat: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=CHAT_KEPT))
    """The latest chat messages, so a late joiner sees the conversation."""
    last_seq: int = 0

    def apply(self, event: LogEvent) -> None:
        """Fold one logged event into the state."""
        handler = _HANDLERS.get(event.kind)
        if handler is not None:
            handler(self, event.data)
        if event.kind == "chat.sent":
            self.chat.append(
                {"seq": event.seq, "at": event.at, "actor": event.actor, "text": event.data["text"]}
            )
        self.last_seq = event.seq

    def person(self, participant_id: str) -> Person | None:
        """The person with this id, if they have come."""
        return self.people.get(participant_id)

    def present_ids(self) -> list[str]:
        """Ids of everyone in the room now."""
        return [p.id for p in self.people.values() if p.present]

    def waiting(self) -> list[Person]:
        """People in the waiting room, in arrival order."""
        return [p for p in self.people.values() if p.status == WAITING]

    def snapshot(self, *, for_staff: bool) -> dict[str, Any]:
        """The state as a late joiner receives it (waiting room only for staff)."""
        visible = [p for p in self.people.values() if p.status != WAITING or for_staff]
        return {
            "status": self.status,
            "locked": self.locked,
            "people": [p.as_dict() for p in visible],
            "slide": self.slide,
            "role_play": self.role_play,
            "hands": list(self.hands),
            "recording": self.recording,
            "server_muted": {k: list(v) for k, v in self.server_muted.items()},
            "chat": list(self.chat),
            "seq": self.last_seq,
        }


def _joined(s: LiveState, d: dict[str, Any]) -> None:
    s.people[d["participant"]] = Person(
        d["participant"], Role(d["role"]), d["display_name"], WAITING
    )
    if not d.get("waiting", True):
        _admitted(s, d)


def _admitted(s: LiveState, d: dict[str, Any]) -> None:
    p = s.people[d["participant"]]
    p.status, p.ever_admitted = ADMITTED, True


def _set_status(status: str) -> Any:
    def handler(s: LiveState, d: dict[str, Any]) -> None:
        s.people[d["participant"]].status = status
        if status != ADMITTED and d["participant"] in s.hands:
            s.hands.remove(d["participant"])

    return handler


def _renamed(s: LiveState, d: dict[str, Any]) -> None:
    s.people[d["participant"]].display_name = d["display_name"]


def _slide(s: LiveState, d: dict[str, Any]) -> None:
    s.slide = dict(d)


def _rp_started(s: LiveState, d: dict[str, Any]) -> None:
    s.role_play = {**d, "step": 0}


def _rp_stepped(s: LiveState, d: dict[str, Any]) -> None:
    if s.role_play is not None:
        s.role_play["step"] = d["step"]


def _rp_ended(s: LiveState, _d: dict[str, Any]) -> None:
    s.role_play = None


def _hand_raised(s: LiveState, d: dict[str, Any]) -> None:
    if d["participant"] not in s.hands:
        s.hands.append(d["participant"])


def _hand_lowered(s: LiveState, d: dict[str, Any]) -> None:
    if d["participant"] in s.hands:
        s.hands.remove(d["participant"])


def _consent(s: LiveState, d: dict[str, Any]) -> None:
    s.people[d["participant"]].consent = bool(d["recording"])


def _server_muted(s: LiveState, d: dict[str, Any]) -> None:
    kinds = set(s.server_muted.get(d["participant"], ()))
    kinds = kinds | {d["kind"]} if d["muted"] else kinds - {d["kind"]}
    if kinds:
        s.server_muted[d["participant"]] = sorted(kinds)
    else:
        s.server_muted.pop(d["participant"], None)


def _locked(s: LiveState, d: dict[str, Any]) -> None:
    s.locked = bool(d["locked"])


def _recording(on: bool) -> Any:
    def handler(s: LiveState, _d: dict[str, Any]) -> None:
        s.recording = on

    return handler


def _status(status: str) -> Any:
    def handler(s: LiveState, _d: dict[str, Any]) -> None:
        s.status = status
        if status == "ended":
            s.hands.clear()
            s.role_play = None
            for p in s.people.values():
                if p.status in (ADMITTED, WAITING):
                    p.status = LEFT

    return handler


_HANDLERS: dict[str, Any] = {
    "session.started": _status("live"),
    "session.ended": _status("ended"),
    "session.locked": _locked,
    "participant.joined": _joined,
    "participant.admitted": _admitted,
    "participant.rejoined": _admitted,
    "participant.denied": _set_status(DENIED),
    "participant.left": _set_status(LEFT),
    "participant.dropped": _set_status(DROPPED),
    "participant.removed": _set_status(REMOVED),
    "participant.renamed": _renamed,
    "slide.shown": _slide,
    "roleplay.started": _rp_started,
    "roleplay.stepped": _rp_stepped,
    "roleplay.ended": _rp_ended,
    "hand.raised": _hand_raised,
    "hand.lowered": _hand_lowered,
    "consent.set": _consent,
    "media.muted": _server_muted,
    "recording.started": _recording(True),
    "recording.stopped": _recording(False),
}
