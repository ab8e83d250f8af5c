"""The data of every logged live event, one typed model per kind.

Handlers build these; the log stores them as JSON; ``LiveState`` folds them back
into state. Reading is lenient (unknown fields of older logs are ignored), so a
log written by an earlier version still replays.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from imr_live.domain.roles import Role

MediaKind = Literal["audio", "video"]
ScreenStopReason = Literal["stopped", "left", "not_allowed"]
"""Why a screen share ended: stopped (by the sharer or a lead), the sharer left, or a lead
took back their permission."""
JsonObject = dict[str, JsonValue]
"""A JSON object as the log stores it and the wire carries it."""


class EventData(BaseModel):
    """Base of every logged event's data; ``KIND`` names the event in the log."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    KIND: ClassVar[str] = ""

    def stored(self) -> JsonObject:
        """The JSON object the log keeps: the fields the handler set, as JSON values."""
        return self.model_dump(mode="json", exclude_unset=True)


class Nothing(EventData):
    """An event that carries no data."""


class SessionStarted(Nothing):
    """The lead clinician opened the session for the first time."""

    KIND = "session.started"


class SessionEnded(Nothing):
    """The lead clinician ended the session; everyone still in it leaves."""

    KIND = "session.ended"


class SessionLocked(EventData):
    """The session was locked to newcomers, or opened again."""

    KIND = "session.locked"
    locked: bool


class About(EventData):
    """An event about one participant."""

    participant: str


class ParticipantJoined(About):
    """Someone came for the first time (guests wait; staff are in at once)."""

    KIND = "participant.joined"
    role: Role
    display_name: str
    waiting: bool = True
    language: str | None = None
    """An interpreter's language (only for interpreters)."""
    interprets_for: str | None = None
    """Whom an interpreter interprets for (absent: the whole group)."""
    via: str | None = None
    """"phone" for someone who called in through the phone gateway (absent: a browser)."""


class ParticipantAdmitted(About):
    """A lead let someone in from the waiting room."""

    KIND = "participant.admitted"


class ParticipantRejoined(About):
    """Someone admitted earlier came back (without waiting again)."""

    KIND = "participant.rejoined"


class ParticipantDenied(About):
    """A lead turned someone away from the waiting room."""

    KIND = "participant.denied"


class Departure(About):
    """Someone left the room or the waiting room."""

    reason: str | None = None
    """left, disconnected, server_restart, removed or link_revoked."""
    closed_at: int | None = None
    """When the connection closed (µs), if recorded late after an outage."""


class ParticipantLeft(Departure):
    """Someone left on purpose (or left the waiting room)."""

    KIND = "participant.left"


class ParticipantDropped(Departure):
    """Someone's connection was lost while in the room."""

    KIND = "participant.dropped"


class ParticipantRemoved(Departure):
    """A lead removed someone, or turned their join link off; they cannot come back."""

    KIND = "participant.removed"


class ParticipantRenamed(About):
    """A lead changed the name shown for someone."""

    KIND = "participant.renamed"
    display_name: str


class SlideShown(EventData):
    """A slide of a deck is shown to everyone."""

    KIND = "slide.shown"
    deck: str
    slide_id: str
    index: int
    count: int


class HandoutShown(EventData):
    """A page of an uploaded handout is shown to everyone (in place of the slide)."""

    KIND = "handout.shown"
    handout: str
    title: str
    page: int
    """The page shown, 1 for the first."""
    pages: int


class HandoutCleared(Nothing):
    """The handout is put away; the script's slide shows again."""

    KIND = "handout.cleared"


class CeremonyStarted(Nothing):
    """The lead clinician opened a graduation ceremony for the room."""

    KIND = "ceremony.started"


class CeremonyAsked(About):
    """A graduate is asked if their certificate may be shown to everyone (staff and they hear)."""

    KIND = "ceremony.asked"


class CeremonyAnswered(About):
    """A graduate's yes or no to being shown (staff and they hear it)."""

    KIND = "ceremony.answered"
    yes: bool


class CeremonyHonoured(About):
    """A graduate's certificate is shown to everyone, after their own yes."""

    KIND = "ceremony.honoured"
    display_name: str
    headline: str
    achievement: str


class CeremonyEnded(Nothing):
    """The graduation ceremony is over."""

    KIND = "ceremony.ended"


class RolePlayRole(BaseModel):
    """One role in a role play."""

    model_config = ConfigDict(frozen=True)
    name: str
    description: str = "-"


class RolePlayStep(BaseModel):
    """One step of a role play, read out in order."""

    model_config = ConfigDict(frozen=True)
    kind: str = "step"
    text: str


class RolePlayStarted(EventData):
    """A role play began, with its roles cast to people in the room."""

    KIND = "roleplay.started"
    id: str | None = None
    """The script's role-play id; None for one written in the room."""
    title: str
    scenario: str
    roles: list[RolePlayRole]
    steps: list[RolePlayStep]
    cast: dict[str, str] = Field(default_factory=dict)
    """Role name -> participant id."""


class RolePlayStepped(EventData):
    """The running role play moved to a step."""

    KIND = "roleplay.stepped"
    step: int


class RolePlayEnded(Nothing):
    """The running role play ended."""

    KIND = "roleplay.ended"


class HandRaised(About):
    """Someone raised their hand."""

    KIND = "hand.raised"


class HandLowered(About):
    """A hand went down (its owner's or a lead's doing)."""

    KIND = "hand.lowered"


class ChatSent(EventData):
    """A chat message to everyone in the room (the actor wrote it)."""

    KIND = "chat.sent"
    text: str


class ConsentSet(About):
    """Someone gave or declined consent to being recorded."""

    KIND = "consent.set"
    recording: bool


class MuteRequested(About):
    """A lead asked someone to turn off their microphone or camera."""

    KIND = "mute.requested"
    kind: MediaKind


class MediaMuted(About):
    """A lead stopped (or resumed) forwarding someone's audio or video on the server."""

    KIND = "media.muted"
    kind: MediaKind
    muted: bool


class VideoSpotlighted(EventData):
    """The lead clinician showed one person's video large for everyone (None: nobody)."""

    KIND = "video.spotlighted"
    participant: str | None


class ScreenStarted(About):
    """Someone began sharing their screen or a window: shown large for everyone."""

    KIND = "screen.started"


class ScreenStopped(About):
    """A screen share ended: stopped by the sharer or a lead, or the sharer left."""

    KIND = "screen.stopped"
    by: str
    """Who stopped it (the sharer themselves when they stopped or left)."""
    reason: ScreenStopReason = "stopped"


class ScreenAllowed(About):
    """A lead let someone share their screen (or took the permission back)."""

    KIND = "screen.allowed"
    allowed: bool


class ClipEvent(EventData):
    """Where a recovery video is, as of ``at_us`` (a late joiner works out where it is now)."""

    clip: str
    position: float = 0.0
    """Seconds into the video at ``at_us``."""
    at_us: int = 0
    """When this happened (microseconds since the epoch)."""


class ClipStarted(ClipEvent):
    """A lead began playing a recovery video to everyone (through the media server)."""

    KIND = "clip.started"
    title: str
    duration: float
    """The video's length in seconds."""


class ClipPaused(ClipEvent):
    """A lead paused the video (``position``: where it stopped)."""

    KIND = "clip.paused"


class ClipResumed(ClipEvent):
    """A lead let the paused video go on from ``position``."""

    KIND = "clip.resumed"


class ClipSought(ClipEvent):
    """A lead moved the video to ``position`` (it plays on if it was playing)."""

    KIND = "clip.sought"


class ClipStopped(ClipEvent):
    """A lead stopped the video: it is gone from everyone's screen."""

    KIND = "clip.stopped"


class RecordingStarted(EventData):
    """Recording began for the people present who consented."""

    KIND = "recording.started"
    participants: list[str]


class RecordingStopped(EventData):
    """Recording stopped."""

    KIND = "recording.stopped"
    reason: str | None = None


class AssignmentGiven(About):
    """A lead gave a client home practice."""

    KIND = "assignment.given"
    assignment_id: str
    text: str
    ref: str | None = None


class AssignmentReviewed(About):
    """A lead recorded whether the client did their home practice."""

    KIND = "assignment.reviewed"
    assignment_id: str
    done: bool
    note: str | None = None


class ShortTermGoalData(BaseModel):
    """A short-term goal and its steps, as logged."""

    model_config = ConfigDict(frozen=True)
    goal: str
    steps: list[str] = Field(default_factory=list)


class GoalNoted(About):
    """A lead wrote down a client's recovery goal."""

    KIND = "goal.noted"
    goal_id: str
    goal: str
    short_term: list[ShortTermGoalData] = Field(default_factory=list)


class GoalUpdated(About):
    """A lead recorded progress on a client's goal."""

    KIND = "goal.updated"
    goal_id: str
    status: Literal["in_progress", "achieved", "dropped"]
    note: str | None = None


class ScaleRecorded(About):
    """An IMR Scale rating of a client, by a clinician or by the client."""

    KIND = "scale.recorded"
    rater: Literal["clinician", "client"]
    items: list[int | None]
    total: int | None = None
    rated_by_role: str | None = None
    """The session role of whoever entered it (leader, co_leader or client)."""


class SafetyConfirmed(About):
    """A client confirmed where they are today and how to reach them (kept outside the log)."""

    KIND = "safety.confirmed"


class HelpRequested(About):
    """A client asked the leads for help now (only staff hear it)."""

    KIND = "help.requested"


class PrivateTalkStarted(EventData):
    """A lead took people into a private media room; the group carries on."""

    KIND = "private_talk.started"
    participants: list[str]


class PrivateTalkEnded(EventData):
    """The private talk ended; its people are back with the group."""

    KIND = "private_talk.ended"
    participants: list[str]


class ModuleCompleted(About):
    """A clinician marked a module completed for a client, with the reason."""

    KIND = "module.completed"
    module: str
    """The module id, qualified by its variant (``simplified/coping-with-stress``)."""
    reason: str


class PrivateModeSet(EventData):
    """A lead turned private group mode on or off: group members see only the leads."""

    KIND = "privacy.mode_set"
    on: bool
    voices: bool = True
    """Whether group members hear each other (they never see each other's video)."""


class PrivacyChosen(About):
    """A group member chose how the group sees them in private mode."""

    KIND = "privacy.chosen"
    show: bool
    """True: the group sees their name and video."""
    initials: str | None = None
    """Shown instead of "Group member" while they stay hidden."""


class GuestIntroduced(About):
    """A guest speaker came into the room: everyone is told who they are."""

    KIND = "guest.introduced"
    display_name: str
    """The guest speaker's name (never a client's)."""


class GuestNamesShown(EventData):
    """The lead let guest speakers see the group's names, or hid them again."""

    KIND = "guest.names_shown"
    on: bool


class CaptionsSet(EventData):
    """A lead turned live captions on or off (the room's audio is turned into text only then)."""

    KIND = "captions.set"
    on: bool


class CaptionSaid(About):
    """A live caption, kept only when everyone in the room had agreed to be recorded."""

    KIND = "caption.said"
    text: str


class PollOpened(EventData):
    """A lead asked the room a question with choices (or a quick 1-5 rating)."""

    KIND = "poll.opened"
    poll_id: str
    question: str
    options: list[str]
    multiple: bool = False
    show_results: bool = False
    """True: everyone sees the counts while it is open."""
    ref: str | None = None
    """The script poll it came from, if any."""


class PollAnswered(About):
    """Someone answered the open poll (only staff and that person hear who chose what)."""

    KIND = "poll.answered"
    poll_id: str
    choices: list[int]


class PollClosed(EventData):
    """A lead closed the poll; the counts are in it only if the lead shared them."""

    KIND = "poll.closed"
    poll_id: str
    answered: int
    """How many people answered."""
    shared: bool = False
    counts: list[int] | None = None
    """People per option, when shared with the room."""


class CelebrationOffered(About):
    """A lead asked a client if the group may celebrate a module done or a goal reached."""

    KIND = "celebration.offered"
    celebration_id: str
    what: Literal["module", "goal"]
    title: str
    """The module's or goal's name as the group would see it."""


class CelebrationAnswered(About):
    """The client said yes (the room sees the celebration) or no (only staff hear it)."""

    KIND = "celebration.answered"
    celebration_id: str
    yes: bool
    what: Literal["module", "goal"] = "module"
    title: str = ""


class PairGroup(BaseModel):
    """One pair or triad: its media group name, who is in it and what they practise."""

    model_config = ConfigDict(frozen=True)
    group: str
    members: list[str]
    prompt: str | None = None


class PairsStarted(EventData):
    """The leader split people into pairs or triads; each group's media stays within it."""

    KIND = "pairs.started"
    groups: list[PairGroup]
    started_at: int
    """When (µs) the pairs began; ``ends_at`` when they come back, if timed."""
    ends_at: int | None = None


class PairVisited(About):
    """A lead went into a pair (or back to the room: group "")."""

    KIND = "pairs.visited"
    group: str


class PairPractice(BaseModel):
    """Who practised together, and for how long."""

    model_config = ConfigDict(frozen=True)
    members: list[str]
    seconds: int


class PairsEnded(EventData):
    """Everyone came back to the room; what each group practised, for how long."""

    KIND = "pairs.ended"
    practised: list[PairPractice]
    reason: Literal["lead", "timer"] = "lead"


class PhoneCallPlaced(About):
    """A lead had the phone gateway call someone (their number is neither logged nor kept)."""

    KIND = "phone.call_placed"
    call: str
    """The call's reference, repeated by its outcome."""


class PhoneCallOutcome(About):
    """How a lead's call to someone's phone went: answered, no_answer, busy or failed."""

    KIND = "phone.call_outcome"
    call: str
    outcome: Literal["answered", "no_answer", "busy", "failed"]


ALL_KINDS: tuple[type[EventData], ...] = (
    SessionStarted,
    SessionEnded,
    SessionLocked,
    ParticipantJoined,
    ParticipantAdmitted,
    ParticipantRejoined,
    ParticipantDenied,
    ParticipantLeft,
    ParticipantDropped,
    ParticipantRemoved,
    ParticipantRenamed,
    SlideShown,
    RolePlayStarted,
    RolePlayStepped,
    RolePlayEnded,
    HandRaised,
    HandLowered,
    ChatSent,
    ConsentSet,
    MuteRequested,
    MediaMuted,
    VideoSpotlighted,
    ScreenStarted,
    ScreenStopped,
    ScreenAllowed,
    ClipStarted,
    ClipPaused,
    ClipResumed,
    ClipSought,
    ClipStopped,
    RecordingStarted,
    RecordingStopped,
    AssignmentGiven,
    AssignmentReviewed,
    GoalNoted,
    GoalUpdated,
    ScaleRecorded,
    SafetyConfirmed,
    HelpRequested,
    PrivateTalkStarted,
    PrivateTalkEnded,
    ModuleCompleted,
    PrivateModeSet,
    PrivacyChosen,
    GuestIntroduced,
    GuestNamesShown,
    CaptionsSet,
    CaptionSaid,
    PollOpened,
    PollAnswered,
    PollClosed,
    CelebrationOffered,
    CelebrationAnswered,
    PairsStarted,
    PairVisited,
    PairsEnded,
    HandoutShown,
    HandoutCleared,
    CeremonyStarted,
    CeremonyAsked,
    CeremonyAnswered,
    CeremonyHonoured,
    CeremonyEnded,
    PhoneCallPlaced,
    PhoneCallOutcome,
)
"""Every kind the live channel logs."""

KINDS: dict[str, type[EventData]] = {k.KIND: k for k in ALL_KINDS}
"""Every logged kind's data model, by kind."""


def decode(kind: str, data: JsonObject) -> EventData | None:
    """A stored event's data as its model; None for a kind the live channel does not log."""
    model = KINDS.get(kind)
    return None if model is None else model.model_validate(data)
