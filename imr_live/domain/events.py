"""The live channel's event catalogue: every command and every logged kind, in one place.

Each command names who may send it, its payload model, its ack model, what it
logs and the refusals particular to it. The edge's parser and permission check,
the channel's handler table, the reducer, docs/events.md and the browser's
``events.js`` all come from here (``tests/live/test_catalogue.py`` keeps the two
files in step), so an event's shape is written once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from imr_live.domain import commands as c
from imr_live.domain import event_data as e
from imr_live.domain.event_data import JsonObject
from imr_live.domain.roles import EVERYONE, LEADS, OPEN_IN_PRIVATE_MODE, SPEAKS, Role
from imr_live.domain.scripts import SlideContent
from imr_live.domain.views import PersonView, Snapshot
from imr_live.errors import InvalidInput

LEADER_ONLY = frozenset({Role.LEADER})
MEDIA_ROLES = SPEAKS | {Role.OBSERVER, Role.SUPERVISOR}
WATCH_ONLY = frozenset({Role.OBSERVER})
"""Roles that receive media but never publish: the group is not watched by a silent camera."""
GROUP_MEMBERS = SPEAKS - OPEN_IN_PRIVATE_MODE
"""Who private group mode hides from each other (and who may show themselves)."""
ANSWERS = frozenset({Role.CLIENT, Role.SUPPORTER, Role.GUEST_SPEAKER})
"""Who answers polls (the leads ask them)."""
COMMON_ERRORS = (
    "invalid",
    "too_large",
    "unknown_event",
    "forbidden",
    "rate_limited",
    "unavailable",
    "not_joined",
    "not_admitted",
    "removed",
    "session_ended",
    "link_revoked",
    "link_expired",
)
"""Refusals any command can get (bad shape, wrong role, not in the room, link gone...)."""


class Ack(BaseModel):
    """Base of every acknowledgement's result fields (``ok`` is added by the edge)."""

    model_config = ConfigDict(frozen=True)

    def wire(self) -> JsonObject:
        """The JSON object sent back; optional top-level fields that are unset are left out."""
        out = self.model_dump(mode="json")
        return {k: v for k, v in out.items() if v is not None or k in self.model_fields_set}


class NoResult(Ack):
    """An ack with nothing but ``ok``."""


class Logged(Ack):
    """The command was logged: ``seq`` is its place in the session log."""

    seq: int


class Farewell(Logged):
    """Sent to someone turned away or removed, before their connection closes."""

    reason: str | None = None


class SlideAck(Logged):
    """A slide shown."""

    slide_id: str
    index: int


class HandoutAck(Logged):
    """A handout page shown."""

    page: int
    pages: int


class AssignmentAck(Logged):
    """Home practice given."""

    assignment_id: str


class GoalAck(Logged):
    """A goal noted."""

    goal_id: str


class ScaleAck(Logged):
    """A scale rating recorded, with its total over the answered items."""

    total: int | None


class PollAck(Logged):
    """A poll opened."""

    poll_id: str


class CelebrationAck(Logged):
    """A celebration offered to its client."""

    celebration_id: str


class SessionView(BaseModel):
    """What a participant is told about the session itself."""

    model_config = ConfigDict(frozen=True)
    id: str
    title: str
    format: str
    script_ref: str | None


class IceServer(BaseModel):
    """A TURN server with short-lived credentials."""

    model_config = ConfigDict(frozen=True)
    urls: list[str]
    username: str
    credential: str


class Welcome(Ack):
    """The ack of ``join`` and the ``admitted`` message: where you are and what is on."""

    status: Literal["waiting", "admitted"]
    you: PersonView
    session: SessionView
    state: Snapshot | None = None
    ice_servers: list[IceServer] | None = None
    guest_time: int | None = None
    """A guest speaker early for their link's time window: when it opens (µs since the
    epoch); joining again from then on lets them straight in."""


class MediaAck(Ack):
    """The SFU's reply to a signalling message (see docs/sfu.md)."""

    model_config = ConfigDict(frozen=True, extra="allow")


class Seated(BaseModel):
    """A logged event as the room receives it: the log row and, for slides, their content."""

    model_config = ConfigDict(frozen=True)
    seq: int
    at: int
    actor: str
    kind: str
    data: e.EventData
    content: SlideContent | None = None

    def wire(self) -> JsonObject:
        """The JSON object sent as an ``event`` message (``data`` exactly as stored)."""
        out: JsonObject = {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "kind": self.kind,
            "data": self.data.stored(),
        }
        if self.content is not None:
            out["content"] = self.content.model_dump(mode="json")
        return out


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One command of the live channel."""

    name: str
    """The Socket.IO event name."""
    who: frozenset[Role]
    """Session roles allowed to send it (checked on the server before anything else)."""
    payload: type[c.Command]
    """The payload model; unknown fields and wrong types are refused."""
    ack: type[Ack]
    """The ack's result fields."""
    logs: tuple[type[e.EventData], ...]
    """Kinds it may append to the session log."""
    summary: str
    """What it does, for people reading docs/events.md."""
    who_text: str = ""
    """Who may send it, in words (when the role set alone does not say it all)."""
    errors: tuple[str, ...] = ()
    """Refusals particular to it, beyond COMMON_ERRORS."""

    @property
    def kinds(self) -> tuple[str, ...]:
        """Names of the kinds it may log."""
        return tuple(k.KIND for k in self.logs)


def _cmd(
    name: str,
    who: frozenset[Role],
    payload: type[c.Command],
    ack: type[Ack],
    logs: tuple[type[e.EventData], ...],
    summary: str,
    *,
    who_text: str = "",
    errors: tuple[str, ...] = (),
) -> CommandSpec:
    return CommandSpec(name, who, payload, ack, logs, summary, who_text, errors)


_LEFT = (e.ParticipantLeft, e.ScreenStopped)
COMMANDS: dict[str, CommandSpec] = {
    s.name: s
    for s in (
        _cmd(
            "join",
            EVERYONE,
            c.Join,
            Welcome,
            (
                e.SessionStarted,
                e.ParticipantJoined,
                e.ParticipantAdmitted,
                e.ParticipantRejoined,
                e.ConsentSet,
                e.GuestIntroduced,
            ),
            "Enter the session on this connection; guests wait until a lead admits them "
            "(a guest speaker inside their link's time window comes straight in).",
            errors=("locked", "denied", "guest_window_closed"),
        ),
        _cmd("leave", EVERYONE, c.Empty, NoResult, _LEFT, "Leave the session on purpose."),
        _cmd(
            "consent.set",
            EVERYONE,
            c.Consent,
            Logged,
            (e.ConsentSet,),
            "Give or decline consent to being recorded (for yourself).",
        ),
        _cmd(
            "waiting.admit",
            LEADS,
            c.Target,
            Logged,
            (e.ParticipantAdmitted, e.GuestIntroduced),
            "Let someone in from the waiting room (a guest speaker is introduced to the room).",
            errors=("conflict",),
        ),
        _cmd(
            "waiting.deny",
            LEADS,
            c.Target,
            Logged,
            (e.ParticipantDenied,),
            "Turn someone away from the waiting room; their connection closes.",
            errors=("conflict",),
        ),
        _cmd(
            "session.lock",
            LEADS,
            c.Lock,
            Logged,
            (e.SessionLocked,),
            "Lock the session to newcomers, or open it again.",
            errors=("conflict",),
        ),
        _cmd(
            "session.end",
            LEADER_ONLY,
            c.Empty,
            Logged,
            (e.RecordingStopped, e.SessionEnded),
            "End the session for everyone; their connections close.",
        ),
        _cmd(
            "slide.show",
            LEADS,
            c.ShowSlide,
            SlideAck,
            (e.SlideShown,),
            "Show a slide (by index or id) of the session's script or a named deck.",
            errors=("no_script", "not_found"),
        ),
        _cmd(
            "handout.show",
            LEADS,
            c.ShowHandout,
            HandoutAck,
            (e.HandoutShown,),
            "Show a page (1 = first) of a handout uploaded to this session, in place of the "
            "slide; everyone sees it.",
            errors=("not_found",),
        ),
        _cmd(
            "handout.clear",
            LEADS,
            c.Empty,
            Logged,
            (e.HandoutCleared,),
            "Put the handout away: the script's slide shows again.",
            errors=("out_of_order",),
        ),
        _cmd(
            "ceremony.start",
            LEADER_ONLY,
            c.StartCeremony,
            Logged,
            (e.CeremonyStarted, e.CeremonyAsked),
            "Open a graduation ceremony: each graduating client (present) is asked if their "
            "certificate may be shown to everyone.",
            errors=("conflict", "not_found"),
        ),
        _cmd(
            "ceremony.answer",
            frozenset({Role.CLIENT}),
            c.AnswerCeremony,
            Logged,
            (e.CeremonyAnswered,),
            "Say yes (your certificate is shown in turn) or no (only staff hear it).",
            who_text="a client asked in the running ceremony",
            errors=("out_of_order",),
        ),
        _cmd(
            "ceremony.next",
            LEADS,
            c.Empty,
            Logged,
            (e.CeremonyHonoured,),
            "Show the next graduate who said yes, with their certificate, to everyone.",
            errors=("out_of_order",),
        ),
        _cmd(
            "ceremony.end",
            LEADS,
            c.Empty,
            Logged,
            (e.CeremonyEnded,),
            "End the graduation ceremony.",
            errors=("out_of_order",),
        ),
        _cmd(
            "roleplay.start",
            LEADS,
            c.StartRolePlay,
            Logged,
            (e.RolePlayStarted,),
            "Start a role play from the script, or one written in the room, with its cast.",
            errors=("conflict", "not_found"),
        ),
        _cmd(
            "roleplay.step",
            LEADS,
            c.Step,
            Logged,
            (e.RolePlayStepped,),
            "Move the running role play to a step (0-based).",
            errors=("out_of_order",),
        ),
        _cmd(
            "roleplay.end",
            LEADS,
            c.Empty,
            Logged,
            (e.RolePlayEnded,),
            "End the running role play.",
            errors=("out_of_order",),
        ),
        _cmd(
            "hand.raise",
            SPEAKS,
            c.Empty,
            Logged,
            (e.HandRaised,),
            "Raise your hand.",
            errors=("conflict",),
        ),
        _cmd(
            "hand.lower",
            SPEAKS,
            c.Hand,
            Logged,
            (e.HandLowered,),
            "Lower your hand (leads may lower anyone's).",
            errors=("conflict",),
        ),
        _cmd("chat.send", SPEAKS, c.Chat, Logged, (e.ChatSent,), "Write to everyone in the room."),
        _cmd(
            "participant.rename",
            LEADS,
            c.Rename,
            Logged,
            (e.ParticipantRenamed,),
            "Change the name shown for someone.",
            errors=("not_found",),
        ),
        _cmd(
            "participant.mute_request",
            LEADS,
            c.MuteRequest,
            Logged,
            (e.MuteRequested,),
            "Ask someone to turn off their microphone or camera (staff and that person see it).",
            errors=("conflict", "not_found"),
        ),
        _cmd(
            "participant.remove",
            LEADS,
            c.Target,
            Logged,
            (e.ParticipantRemoved, e.ScreenStopped),
            "Remove a guest: their link is turned off, media closed and connections cut.",
            errors=("conflict", "not_found"),
        ),
        _cmd(
            "media.server_mute",
            LEADS,
            c.ServerMute,
            Logged,
            (e.MediaMuted,),
            "Stop (or resume) forwarding someone's audio or video on the server.",
            errors=("conflict", "not_found"),
        ),
        _cmd(
            "video.spotlight",
            LEADER_ONLY,
            c.Spotlight,
            Logged,
            (e.VideoSpotlighted,),
            "Show one person's video large for everyone, or (null) stop doing so.",
            errors=("conflict", "not_found"),
        ),
        _cmd(
            "screen.start",
            SPEAKS,
            c.Empty,
            Logged,
            (e.ScreenStarted,),
            "Start sharing your screen or a window; then publish it as a `media` "
            "`publish` with `source: screen`. One share at a time.",
            who_text="leads; anyone else a lead allowed (screen.allow)",
            errors=("conflict",),
        ),
        _cmd(
            "screen.stop",
            SPEAKS,
            c.StopScreen,
            Logged,
            (e.ScreenStopped,),
            "Stop the screen share: your own, or (leads) anyone's.",
            who_text="the sharer; leads for anyone",
            errors=("conflict",),
        ),
        _cmd(
            "screen.allow",
            LEADS,
            c.AllowScreen,
            Logged,
            (e.ScreenAllowed, e.ScreenStopped),
            "Let someone share their screen, or take it back (their share stops).",
            errors=("conflict", "not_found"),
        ),
        _cmd(
            "clip.play",
            LEADS,
            c.PlayClip,
            Logged,
            (e.ClipStarted, e.ClipStopped),
            "Play a recovery video to everyone through the media server (no re-encoding); "
            "a video already playing stops first.",
            errors=("not_found",),
        ),
        _cmd(
            "clip.pause",
            LEADS,
            c.Empty,
            Logged,
            (e.ClipPaused,),
            "Pause the video for everyone.",
            errors=("conflict",),
        ),
        _cmd(
            "clip.resume",
            LEADS,
            c.Empty,
            Logged,
            (e.ClipResumed,),
            "Let the paused video go on for everyone.",
            errors=("conflict",),
        ),
        _cmd(
            "clip.seek",
            LEADS,
            c.SeekClip,
            Logged,
            (e.ClipSought,),
            "Move the video to a number of seconds from its start, for everyone.",
            errors=("conflict",),
        ),
        _cmd(
            "clip.stop",
            LEADS,
            c.Empty,
            Logged,
            (e.ClipStopped,),
            "Stop the video: it goes away for everyone.",
            errors=("conflict",),
        ),
        _cmd(
            "assignment.give",
            LEADS,
            c.GiveAssignment,
            AssignmentAck,
            (e.AssignmentGiven,),
            "Give a client home practice (staff and that client see it).",
            errors=("not_found",),
        ),
        _cmd(
            "assignment.review",
            LEADS,
            c.ReviewAssignment,
            Logged,
            (e.AssignmentReviewed,),
            "Record whether a client did home practice given here or in an earlier session.",
            errors=("not_found",),
        ),
        _cmd(
            "goal.note",
            LEADS,
            c.NoteGoal,
            GoalAck,
            (e.GoalNoted,),
            "Write down a client's recovery goal with short-term goals and steps.",
            errors=("not_found",),
        ),
        _cmd(
            "goal.update",
            LEADS,
            c.UpdateGoal,
            Logged,
            (e.GoalUpdated,),
            "Record progress on a client's goal (given here or earlier).",
            errors=("not_found",),
        ),
        _cmd(
            "scale.record",
            LEADS | {Role.CLIENT},
            c.RecordScale,
            ScaleAck,
            (e.ScaleRecorded,),
            "Record an IMR Scales rating (15 items, 1-5 or null where it may not apply).",
            who_text="leads (any client; rater clinician only signed-in staff); "
            "a client for themselves as rater client",
            errors=("not_found",),
        ),
        _cmd(
            "module.complete",
            LEADS,
            c.CompleteModule,
            Logged,
            (e.ModuleCompleted,),
            "Mark a module completed for a client, with the reason (counts for certificates).",
            who_text="signed-in staff leading the session",
            errors=("not_found",),
        ),
        _cmd(
            "recording.set",
            LEADER_ONLY,
            c.SetRecording,
            Logged,
            (e.RecordingStarted, e.RecordingStopped),
            "Start or stop recording the people present who consented.",
            errors=("conflict", "no_consent"),
        ),
        _cmd(
            "safety.confirm",
            frozenset({Role.CLIENT}),
            c.ConfirmSafety,
            Logged,
            (e.SafetyConfirmed,),
            "Say where you are today and a number to call you back (kept out of the log).",
            errors=("emergency_contact_needed", "no_earlier_place"),
        ),
        _cmd(
            "help.request",
            frozenset({Role.CLIENT}),
            c.Empty,
            Logged,
            (e.HelpRequested,),
            "Ask the leads for help now: only staff hear it, with where you are and your number.",
            errors=("not_confirmed",),
        ),
        _cmd(
            "private_talk.start",
            LEADS,
            c.PrivateTalk,
            Logged,
            (e.PrivateTalkStarted,),
            "Take a client (and a co-leader) into a private media room; the group carries on.",
            errors=("conflict", "not_found"),
        ),
        _cmd(
            "private_talk.end",
            LEADS,
            c.Empty,
            Logged,
            (e.PrivateTalkEnded,),
            "Bring the people of the private talk back to the group.",
            errors=("conflict",),
        ),
        _cmd(
            "captions.set",
            LEADS,
            c.SetCaptions,
            Logged,
            (e.CaptionsSet,),
            "Turn live captions on or off: what people say reaches everyone as text "
            "(kept only if everyone agreed to be recorded).",
            errors=("conflict", "captions_unavailable"),
        ),
        _cmd(
            "privacy.mode",
            LEADS,
            c.PrivateMode,
            Logged,
            (e.PrivateModeSet,),
            "Turn private group mode on or off: group members see only the leads and "
            "interpreters (names hidden, no video of each other; voices if chosen).",
            errors=("conflict",),
        ),
        _cmd(
            "privacy.show_me",
            GROUP_MEMBERS,
            c.ShowMe,
            Logged,
            (e.PrivacyChosen,),
            "In private group mode, show yourself to the group, or stay hidden under initials.",
        ),
        _cmd(
            "guest.show_names",
            LEADER_ONLY,
            c.ShowNames,
            Logged,
            (e.GuestNamesShown,),
            "Let guest speakers see clients' and supporters' names, or hide them again "
            '(hidden, they see "Group member").',
            errors=("conflict",),
        ),
        _cmd(
            "poll.open",
            LEADS,
            c.OpenPoll,
            PollAck,
            (e.PollOpened,),
            "Ask the room a question with 2-8 choices, a quick 1-5 rating (no options), "
            "or a poll of the script (poll_ref).",
            errors=("conflict", "not_found"),
        ),
        _cmd(
            "poll.answer",
            ANSWERS,
            c.AnswerPoll,
            Logged,
            (e.PollAnswered,),
            "Answer the open poll (again to change it); only staff see who chose what.",
            errors=("poll_closed",),
        ),
        _cmd(
            "poll.close",
            LEADS,
            c.ClosePoll,
            Logged,
            (e.PollClosed,),
            "Close the open poll; with share, everyone sees the final counts.",
            errors=("poll_closed",),
        ),
        _cmd(
            "celebration.offer",
            LEADS,
            c.OfferCelebration,
            CelebrationAck,
            (e.CelebrationOffered,),
            "Ask a client if the group may celebrate a module completed or goal reached today.",
            errors=("conflict", "not_found"),
        ),
        _cmd(
            "celebration.answer",
            frozenset({Role.CLIENT}),
            c.AnswerCelebration,
            Logged,
            (e.CelebrationAnswered,),
            "Say yes (everyone sees the celebration) or no (only staff hear it) to an offer.",
            who_text="the client it was offered to",
            errors=("not_found",),
        ),
        _cmd(
            "pairs.start",
            LEADS,
            c.StartPairs,
            Logged,
            (e.PairsStarted,),
            "Split people into pairs or triads with a prompt; each group's media stays inside it.",
            errors=("conflict", "not_found"),
        ),
        _cmd(
            "pairs.visit",
            LEADS,
            c.VisitPair,
            Logged,
            (e.PairVisited,),
            'Go into one pair (its media and yours meet), or back to the room (group "").',
            errors=("conflict", "out_of_order"),
        ),
        _cmd(
            "pairs.end",
            LEADS,
            c.Empty,
            Logged,
            (e.PairsEnded,),
            "Bring everyone back to the room; logs who practised with whom and for how long.",
            errors=("out_of_order",),
        ),
        _cmd(
            "media",
            MEDIA_ROLES,
            c.MediaMessage,
            MediaAck,
            (),
            "A WebRTC signalling message to the media server (see docs/sfu.md); "
            "observers receive only (their publish is refused).",
            errors=("bad_sdp", "bad_message", "unsupported_codec", "not_in_room", "room_closed"),
        ),
    )
}
"""Every command, by event name."""

KINDS = e.KINDS
"""Every logged kind's data model, by kind."""


def allowed(name: str, role: Role) -> bool:
    """True when ``role`` may send the command ``name``; unknown commands never are."""
    spec = COMMANDS.get(name)
    return spec is not None and role in spec.who


def parse(spec: CommandSpec, payload: Any) -> Any:
    """Validate a raw payload against the command's model; InvalidInput names the first bad field."""
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise InvalidInput("the event payload must be a JSON object")
    try:
        return spec.payload.model_validate(payload)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"]) or "payload"
        raise InvalidInput(f"{where}: {err['msg']}") from None


def _fields(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def browser_module() -> str:
    """The ES module the browser imports: event names, who may send them, payload fields."""

    def entries(items: dict[str, Any]) -> str:
        return "".join(f"  {json.dumps(k)}: {json.dumps(v)},\n" for k, v in sorted(items.items()))

    commands = {
        s.name: {"who": sorted(r.value for r in s.who), "fields": _fields(s.payload)}
        for s in COMMANDS.values()
    }
    kinds = {k: _fields(m) for k, m in KINDS.items()}
    return (
        "// Generated from imr_live/domain/events.py by `imr-live events js`; do not edit.\n"
        "// Commands: who may send each and its payload fields. Kinds: each logged event's fields.\n"
        f"export const COMMANDS = Object.freeze({{\n{entries(commands)}}});\n"
        f"export const KINDS = Object.freeze({{\n{entries(kinds)}}});\n"
    )


def _schema_text(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    """A JSON-schema property in a few characters: ``str 1-60``, ``"audio"|"video"``, ``[int]``."""
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in prop:
        kinds = [_schema_text(p, defs) for p in prop["anyOf"] if p.get("type") != "null"]
        return " or ".join(kinds) if kinds else "null"
    if "enum" in prop or "const" in prop:
        values = prop.get("enum", [prop.get("const")])
        return "|".join(json.dumps(v) for v in values)
    json_type = str(prop.get("type", "any"))
    kind = {"string": "str", "integer": "int", "boolean": "bool", "number": "float"}.get(
        json_type, json_type
    )
    if kind == "array":
        return f"[{_schema_text(prop.get('items', {}), defs)}]"
    if kind == "object":
        return "{name: " + _schema_text(prop.get("additionalProperties", {}), defs) + "}"
    low = prop.get("minLength", prop.get("minimum"))
    high = prop.get("maxLength", prop.get("maximum"))
    if low is not None or high is not None:
        kind += f" {low if low is not None else 0}\u2013{high if high is not None else ''}"
    return kind


def _shape(model: type[BaseModel]) -> str:
    """A model's fields as a compact shape: ``{name: type, optional?: type}``."""
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    defs = schema.get("$defs", {})
    parts = [
        f"{name}{'' if name in required else '?'}: {_schema_text(prop, defs)}"
        for name, prop in schema.get("properties", {}).items()
    ]
    if model.model_config.get("extra") == "allow":
        parts.append("...")
    return "`{" + ", ".join(parts).replace("|", "\\|") + "}`"


def _who(spec: CommandSpec) -> str:
    if spec.who_text:
        return spec.who_text
    if spec.who == EVERYONE:
        return "everyone" if spec.name != "media" else "everyone admitted"
    return ", ".join(sorted(r.value for r in spec.who))


def markdown() -> str:
    """docs/events.md's catalogue tables (commands, then logged kinds), from this module."""
    lines = [
        "### Commands (client → server)",
        "",
        "| event | who | payload | ack | logs | refusals beyond the common ones | what it does |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in COMMANDS.values():
        logs = ", ".join(f"`{k}`" for k in s.kinds) or "—"
        errors = ", ".join(f"`{x}`" for x in s.errors) or "—"
        lines.append(
            f"| `{s.name}` | {_who(s)} | {_shape(s.payload)} | {_shape(s.ack)} | {logs} "
            f"| {errors} | {s.summary} |"
        )
    lines += [
        "",
        "Common refusals: " + ", ".join(f"`{x}`" for x in COMMON_ERRORS) + ".",
        "",
        "### Logged kinds (the session log and the `event` message)",
        "",
        "| kind | data | what it records |",
        "|---|---|---|",
    ]
    for kind, model in KINDS.items():
        doc = (model.__doc__ or "").strip().splitlines()[0]
        lines.append(f"| `{kind}` | {_shape(model)} | {doc} |")
    return "\n".join(lines) + "\n"
