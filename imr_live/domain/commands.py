"""Typed payloads of the live-channel commands, validated before anything changes.

Each model forbids unknown fields and bounds every string and list, so a
malformed or oversized event is refused with a precise message.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from imr_live.errors import InvalidInput

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


class ShowSlide(Command):
    """Show one slide of a deck (default deck: the session's script)."""

    deck: Ref | None = None
    index: int | None = Field(default=None, ge=0, le=500)
    slide_id: Ref | None = None


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


SCALE_ITEMS = 14
"""Items of the IMR outcome scale, each rated 1-5."""


class RecordScale(Command):
    """An IMR outcome scale rating of a client, by their clinician or by themselves."""

    participant: Pid
    rater: Literal["clinician", "client"]
    items: list[Annotated[int, Field(ge=1, le=5)]] = Field(
        min_length=SCALE_ITEMS, max_length=SCALE_ITEMS
    )


class Consent(Command):
    """Give or decline consent to recording."""

    recording: bool


class SetRecording(Command):
    """Start or stop recording (only those who consented are recorded)."""

    on: bool


def parse(model: type[Command], payload: Any) -> Any:
    """Validate a raw payload; raise InvalidInput naming the first bad field."""
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise InvalidInput("the event payload must be a JSON object")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"]) or "payload"
        raise InvalidInput(f"{where}: {err['msg']}") from None
