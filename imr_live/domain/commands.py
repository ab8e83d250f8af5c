"""Typed payloads of the live-channel commands, validated before anything changes.

Each model forbids unknown fields and bounds every string and list, so a
malformed or oversized event is refused with a precise message.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from imr_live.domain.imr_scales import ITEMS as IMR_SCALE_ITEMS

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Pid = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Ref = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[a-z0-9_\-/]+$")]
MediaKind = Literal["audio", "video"]


class Command(BaseModel):
    """Base of every command payload: strict, no unknown fields."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Join(Command):
    """Enter the session (guests go to the waiting room)."""

    display_name: Name | None = None
    consent: bool | None = None
    via: Literal["phone"] | None = None
    """How they take part, when not from a browser: "phone" for the phone gateway."""


class Empty(Command):
    """A command that carries nothing."""


class Target(Command):
    """A command about one participant."""

    participant: Pid


class Rename(Command):
    """Change a participant's shown name."""

    participant: Pid
    display_name: Name


class Lock(Command):
    """Lock or unlock the session to newcomers."""

    locked: bool


class SetCaptions(Command):
    """Turn live captions on or off."""

    on: bool


class PrivateMode(Command):
    """Turn private group mode on or off (and whether group members hear each other)."""

    on: bool
    voices: bool = True


Initials = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4, pattern=r"^[A-Za-z.]+$"),
]


class ShowMe(Command):
    """How the group sees you in private mode: shown, or hidden behind initials."""

    show: bool
    initials: Initials | None = None


class ShowSlide(Command):
    """Show one slide of a deck (default deck: the session's script)."""

    deck: Ref | None = None
    index: int | None = Field(default=None, ge=0, le=500)
    slide_id: Ref | None = None


class ShowHandout(Command):
    """Show one page of a handout uploaded to this session."""

    handout: Pid
    page: int = Field(default=1, ge=1, le=1000)


class StartCeremony(Command):
    """Open a graduation ceremony for these clients (in the order they are honoured)."""

    graduates: list[Pid] = Field(min_length=1, max_length=20)


class AnswerCeremony(Command):
    """A graduate's yes or no to their certificate being shown to everyone."""

    yes: bool


class RolePlayRoleIn(Command):
    """A role in a free-form role play."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    description: Short = "-"


class StartRolePlay(Command):
    """Start a role play from the script (by id) or a free-form one."""

    role_play_id: Ref | None = None
    title: Short | None = None
    scenario: Text | None = None
    roles: list[RolePlayRoleIn] | None = Field(default=None, max_length=8)
    steps: list[Text] | None = Field(default=None, max_length=12)
    cast: dict[Annotated[str, StringConstraints(max_length=40)], Pid] = Field(max_length=8)


class Step(Command):
    """Move a running role play to a step."""

    step: int = Field(ge=0, le=50)


class Hand(Command):
    """Raise or lower a hand (leaders may lower anyone's)."""

    participant: Pid | None = None


class Chat(Command):
    """A chat message to everyone in the room."""

    text: Text


class MuteRequest(Command):
    """Ask a participant to mute their microphone or camera."""

    participant: Pid
    kind: MediaKind = "audio"


class ServerMute(Command):
    """Stop (or resume) forwarding a participant's audio or video on the server."""

    participant: Pid
    kind: MediaKind = "audio"
    muted: bool = True


class Spotlight(Command):
    """Show one person's video large for everyone (null: nobody, back to the usual view)."""

    participant: Pid | None


class StopScreen(Command):
    """Stop a screen share: your own (no participant), or anyone's for a lead."""

    participant: Pid | None = None


class AllowScreen(Command):
    """Let a participant share their screen, or take the permission back."""

    participant: Pid
    allowed: bool = True


class PlayClip(Command):
    """Play a recovery video (a shipped one or one uploaded to this session) to everyone."""

    clip: Annotated[
        str, StringConstraints(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_\-]+$")
    ]


class SeekClip(Command):
    """Move the playing (or paused) video to ``seconds`` from its start."""

    seconds: Annotated[float, Field(ge=0, le=24 * 3600, allow_inf_nan=False)]


class GiveAssignment(Command):
    """Give a client a home practice assignment."""

    participant: Pid
    text: Text
    ref: Ref | None = None


class ReviewAssignment(Command):
    """Record whether a client did an assignment."""

    participant: Pid
    assignment_id: Pid
    done: bool
    note: Short | None = None


class ShortTermGoal(Command):
    """A short-term goal and its steps."""

    goal: Short
    steps: list[Short] = Field(default_factory=list, max_length=10)


class NoteGoal(Command):
    """Record a client's personal recovery goal."""

    participant: Pid
    goal: Short
    short_term: list[ShortTermGoal] = Field(default_factory=list, max_length=6)


class UpdateGoal(Command):
    """Record progress on a goal."""

    participant: Pid
    goal_id: Pid
    status: Literal["in_progress", "achieved", "dropped"]
    note: Short | None = None


class RecordScale(Command):
    """An IMR Scales rating of a client (the published 15 items), by their clinician or themself.

    Each item is 1-5, or null for "does not apply" where the instrument allows it.
    """

    participant: Pid
    rater: Literal["clinician", "client"]
    items: list[Annotated[int, Field(ge=1, le=5)] | None] = Field(
        min_length=len(IMR_SCALE_ITEMS), max_length=len(IMR_SCALE_ITEMS)
    )

    @field_validator("items")
    @classmethod
    def _not_applying_only_where_allowed(cls, items: list[int | None]) -> list[int | None]:
        for item, answer in zip(IMR_SCALE_ITEMS, items, strict=True):
            if answer is None and item.does_not_apply is None:
                raise ValueError(f"item {item.number} ({item.topic}) needs an answer 1-5")
        return items


class CompleteModule(Command):
    """A clinician marks a module completed for a client, with the reason."""

    participant: Pid
    module: Ref
    """A module id (``simplified/coping-with-stress``) or its key in the session's variant."""
    reason: Short


class Consent(Command):
    """Give or decline consent to recording."""

    recording: bool


class ShowNames(Command):
    """Let guest speakers see clients' and supporters' names (on), or hide them (off)."""

    on: bool


class SetRecording(Command):
    """Start or stop recording (only those who consented are recorded)."""

    on: bool


class MediaMessage(Command):
    """A WebRTC signalling message for the media server; the SFU checks the rest of it."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)
    type: Literal["join", "publish", "answer", "mute", "audio_only", "view", "ice_restart", "leave"]


Phone = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=3, max_length=40, pattern=r"^[0-9+() .\-]+$"
    ),
]
"""A telephone number as people write it (digits, spaces, + ( ) . -)."""


class ConfirmSafety(Command):
    """Where a client is today and a number to call back; an emergency contact the first time."""

    location: Short | None = None
    same_place: bool = False
    """True: the same place as last time (``location`` is then left out)."""
    callback: Phone
    emergency_contact: Short | None = None


class PrivateTalk(Command):
    """Take one client (and optionally a co-leader) into a private media room."""

    participant: Pid
    co_leader: Pid | None = None


Choice = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


class OpenPoll(Command):
    """Ask the room a question with choices, or a quick 1-5 rating (no options given);
    or ask a poll of the session script by its id (``poll_ref``)."""

    question: Short | None = None
    poll_ref: Ref | None = None
    """A script poll's id (``recovery-strategies/1/hope-check``) instead of question and options."""
    options: list[Choice] | None = Field(default=None, min_length=2, max_length=8)
    """The choices; left out, it is a quick rating from 1 to 5."""
    multiple: bool = False
    """True: people may pick more than one choice."""
    show_results: bool = False
    """True: everyone sees the counts as answers come in (never who chose what)."""

    @field_validator("options")
    @classmethod
    def _different(cls, options: list[str] | None) -> list[str] | None:
        if options is not None and len({o.casefold() for o in options}) != len(options):
            raise ValueError("each choice must be different")
        return options


class AnswerPoll(Command):
    """Answer the open poll: the chosen options, by number (0-based)."""

    poll_id: Pid
    choices: list[Annotated[int, Field(ge=0, le=7)]] = Field(min_length=1, max_length=8)


class ClosePoll(Command):
    """Close the open poll; ``share`` shows everyone the final counts."""

    poll_id: Pid
    share: bool = False


class OfferCelebration(Command):
    """Ask a client whether the group may celebrate a module they completed or a goal reached."""

    participant: Pid
    module: Ref | None = None
    """A module completed for them in this session (its logged id)."""
    goal_id: Pid | None = None
    """A goal of theirs marked achieved in this session."""


class AnswerCelebration(Command):
    """A client's answer to a celebration offer: yes shows it to the room."""

    celebration_id: Pid
    yes: bool


class StartPairs(Command):
    """Split people into pairs or triads to practise; each group's media stays within it."""

    groups: list[Annotated[list[Pid], Field(min_length=2, max_length=3)]] = Field(
        min_length=1, max_length=12
    )
    prompt: Text | None = None
    """What every group practises (a role play's scenario, or the leader's own words)."""
    prompts: list[Text] | None = Field(default=None, max_length=12)
    """One prompt per group, in order, instead of ``prompt``."""
    minutes: int | None = Field(default=None, ge=1, le=60)
    """When to bring everyone back (the leader's page does it then; a lead can at any time)."""


class VisitPair(Command):
    """A lead goes into one group (its name from ``pairs.started``), or back to the room ("")."""

    group: Annotated[str, StringConstraints(max_length=20, pattern=r"^(pair-[0-9]{1,2})?$")]
