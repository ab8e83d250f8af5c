"""What people are shown of a session: typed views built from the live state."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from imr_live.domain.event_data import (
    CelebrationOffered,
    CeremonyHonoured,
    HandoutShown,
    PairsStarted,
    PollOpened,
    RolePlayStarted,
    SlideShown,
)
from imr_live.domain.roles import Role
from imr_live.domain.scripts import SlideContent


class PersonView(BaseModel):
    """Someone in the session as others see them."""

    model_config = ConfigDict(frozen=True)
    id: str
    role: Role
    display_name: str
    status: str
    consent: bool | None
    language: str | None = None
    """An interpreter's language."""
    interprets_for: str | None = None
    """Whom an interpreter interprets for (None: the whole group)."""
    shown: bool = False
    """A group member who chose to let the group see them in private mode."""
    hidden: bool = False
    """True when private group mode hides this group member's name and video from you."""
    via: str | None = None
    """"phone" when they called in through the phone gateway (shown as "on the phone")."""


class ShownSlide(SlideShown):
    """The slide on screen, with its content for drawing it."""

    content: SlideContent | None = None


class RunningRolePlay(RolePlayStarted):
    """The role play running now, and its current step."""

    step: int = 0


class ChatLine(BaseModel):
    """One chat message as a late joiner receives it."""

    model_config = ConfigDict(frozen=True)
    seq: int
    at: int
    actor: str
    text: str


class PracticeView(BaseModel):
    """Home practice given in this session, as its client (and the staff) see it."""

    model_config = ConfigDict(frozen=True)
    assignment_id: str
    participant: str
    text: str
    done: bool | None = None
    """Whether it was done, once reviewed in this session."""


class GoalView(BaseModel):
    """A recovery goal noted in this session, as its client (and the staff) see it."""

    model_config = ConfigDict(frozen=True)
    goal_id: str
    participant: str
    goal: str
    steps: list[str]
    """The short-term goals' steps, in order."""
    status: str = "in_progress"


class PollView(PollOpened):
    """The open poll as one viewer may see it: counts only for staff or when shown to all."""

    answered: int = 0
    """How many people have answered so far."""
    counts: list[int] | None = None
    """People per option (staff always; others only when ``show_results``)."""
    mine: list[int] | None = None
    """The viewer's own answer, if they gave one."""
    answers: dict[str, list[int]] | None = None
    """Who chose what: staff only."""


class CeremonyView(BaseModel):
    """The graduation ceremony running now, as one viewer may see it."""

    model_config = ConfigDict(frozen=True)
    current: CeremonyHonoured | None = None
    """The graduate shown now, with their certificate (None: none yet)."""
    honoured: list[str] = []
    """Graduates shown so far, in turn."""
    asked: list[str] = []
    """Graduates asked: every one for staff, yourself if you were asked, else none."""
    answers: dict[str, bool] = {}
    """Their yes or no, as far as the viewer may know (staff: all; a graduate: their own)."""


class PairsView(PairsStarted):
    """The pairs practising now, and which lead is visiting which group."""

    visiting: dict[str, str] = {}
    """Lead id -> the group they are in now."""


class ClipView(BaseModel):
    """The recovery video on screen: where it is now, so a late joiner starts there."""

    model_config = ConfigDict(frozen=True)
    clip: str
    title: str
    duration: float
    playing: bool
    """False: paused (or played to its end)."""
    position: float
    """Seconds into the video when this snapshot was made."""


class Snapshot(BaseModel):
    """The session as a late or reconnecting joiner must see it (the fold of the log)."""

    model_config = ConfigDict(frozen=True)
    status: str
    locked: bool
    people: list[PersonView]
    slide: ShownSlide | None
    handout: HandoutShown | None = None
    """The handout page shown in place of the slide, if any."""
    role_play: RunningRolePlay | None
    hands: list[str]
    recording: bool
    server_muted: dict[str, list[str]]
    chat: list[ChatLine]
    private_talk: list[str] = []
    """Ids of the people in a private talk now (empty: none)."""
    spotlight: str | None = None
    """The person the lead clinician shows large for everyone (None: nobody)."""
    screen: str | None = None
    """Who is sharing their screen now (None: nobody); shown large for everyone."""
    screen_allowed: list[str] = []
    """Besides the leads, who a lead let share their screen."""
    clip: ClipView | None = None
    """The recovery video playing or paused now (None: none); shown large for everyone."""
    private_mode: bool = False
    """Private group mode: group members see only the leads, interpreters and who chose to show."""
    private_voices: bool = True
    """In private mode, whether group members hear each other."""
    captions: bool = False
    """Live captions are on."""
    guest_names: bool = False
    """The lead lets guest speakers see clients' and supporters' names."""
    seq: int
    practice: list[PracticeView] = []
    """Home practice of this session: a client's own, or every client's for staff."""
    goals: list[GoalView] = []
    """Goals of this session: a client's own, or every client's for staff."""
    poll: PollView | None = None
    """The open poll, if any (a late joiner can still answer it)."""
    celebration_offers: list[CelebrationOffered] = []
    """Celebrations waiting for a client's yes or no: their own, or all of them for staff."""
    pairs: PairsView | None = None
    """The pairs or triads practising now, if any (their media stays within each group)."""
    ceremony: CeremonyView | None = None
    """The graduation ceremony running now, if any."""
