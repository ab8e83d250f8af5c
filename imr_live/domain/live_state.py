"""The live state of one session, derived only from its log.

``LiveState.apply`` is the one reducer: the server keeps state by applying each
event it appends, and rebuilds it after a restart by applying the stored log.
So what people see after a crash is exactly what the log says. Each logged
kind's typed data (``event_data``) has one fold below.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from imr_live.domain import event_data as e
from imr_live.domain.clock import SECOND_US, now_us
from imr_live.domain.roles import HIDDEN_FROM_GUESTS, OPEN_IN_PRIVATE_MODE, Role
from imr_live.domain.views import (
    CeremonyView,
    ChatLine,
    ClipView,
    GoalView,
    PairsView,
    PersonView,
    PollView,
    PracticeView,
    RunningRolePlay,
    ShownSlide,
    Snapshot,
)
from imr_live.store.session_log import LogEvent

log = logging.getLogger("imr_live.live_state")
_STAFF = frozenset({Role.LEADER, Role.CO_LEADER, Role.SUPERVISOR})
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
    language: str | None = None
    """An interpreter's language."""
    interprets_for: str | None = None
    """Whom an interpreter interprets for (None: the whole group)."""
    shown: bool = False
    """A group member who chose to be seen by the group in private mode."""
    initials: str | None = None
    """What a hidden group member chose to be called instead of "Group member"."""
    via: str | None = None
    """"phone" when they called in through the phone gateway."""

    @property
    def present(self) -> bool:
        """True while they are in the room."""
        return self.status == ADMITTED

    @property
    def group_member(self) -> bool:
        """True for the people private group mode hides from each other."""
        return self.role not in OPEN_IN_PRIVATE_MODE

    def view(self) -> PersonView:
        """How others see them."""
        return PersonView(
            id=self.id,
            role=self.role,
            display_name=self.display_name,
            status=self.status,
            consent=self.consent,
            language=self.language,
            interprets_for=self.interprets_for,
            shown=self.shown,
            via=self.via,
        )

    def hidden_view(self) -> PersonView:
        """How another group member sees them in private mode: no name, no consent."""
        return PersonView(
            id=self.id,
            role=self.role,
            display_name=self.initials or "Group member",
            status=self.status,
            consent=None,
            hidden=True,
        )


@dataclass(slots=True)
class OpenPoll:
    """The poll open now and the answers given to it."""

    asked: e.PollOpened
    answers: dict[str, list[int]] = field(default_factory=dict)
    """Participant id -> their chosen options (a new answer replaces the old)."""

    def counts(self) -> list[int]:
        """People per option."""
        counts = [0] * len(self.asked.options)
        for choices in self.answers.values():
            for choice in choices:
                counts[choice] += 1
        return counts

    def view(self, *, for_staff: bool, viewer: str | None) -> PollView:
        """The poll as ``viewer`` may see it (who chose what only for staff)."""
        show = for_staff or self.asked.show_results
        return PollView(
            **self.asked.model_dump(),
            answered=len(self.answers),
            counts=self.counts() if show else None,
            mine=self.answers.get(viewer or ""),
            answers=dict(self.answers) if for_staff else None,
        )


@dataclass(slots=True)
class RunningCeremony:
    """The graduation ceremony running now: who was asked, their answers, who was shown."""

    graduates: list[str] = field(default_factory=list)
    answers: dict[str, bool] = field(default_factory=dict)
    honoured: list[str] = field(default_factory=list)
    current: e.CeremonyHonoured | None = None

    def next_ready(self) -> str | None:
        """The first graduate who said yes and has not been shown yet."""
        for pid in self.graduates:
            if self.answers.get(pid) is True and pid not in self.honoured:
                return pid
        return None

    def view(self, *, for_staff: bool, viewer: str | None) -> CeremonyView:
        """The ceremony as ``viewer`` may see it (who said no: staff and that graduate only)."""
        asked = self.graduates if for_staff else [g for g in self.graduates if g == viewer]
        return CeremonyView(
            current=self.current,
            honoured=list(self.honoured),
            asked=list(asked),
            answers={g: a for g, a in self.answers.items() if g in asked},
        )


@dataclass(slots=True)
class RunningClip:
    """The recovery video on screen: where it was at ``at_us`` and whether it plays on."""

    clip: str
    title: str
    duration: float
    playing: bool
    position: float
    at_us: int

    @property
    def media_id(self) -> str:
        """The video's identity in the media server (sfu/clip.py names it so)."""
        return f"clip~{self.clip}"

    def position_at(self, now: int) -> float:
        """Seconds into the video at ``now`` (it stops at its end)."""
        went = max(0, now - self.at_us) / SECOND_US if self.playing else 0.0
        return round(min(self.duration, self.position + went), 3)

    def view(self, now: int) -> ClipView:
        """The video as a late joiner gets it."""
        position = self.position_at(now)
        return ClipView(
            clip=self.clip,
            title=self.title,
            duration=self.duration,
            playing=self.playing and position < self.duration,
            position=position,
        )


@dataclass(slots=True)
class LiveState:
    """Everything a late joiner needs to see the session as it is now."""

    session_id: str
    status: str = "scheduled"
    locked: bool = False
    people: dict[str, Person] = field(default_factory=dict)
    slide: e.SlideShown | None = None
    handout: e.HandoutShown | None = None
    """The handout page on screen (it covers the slide until cleared or a slide is shown)."""
    role_play: RunningRolePlay | None = None
    hands: list[str] = field(default_factory=list)
    recording: bool = False
    recording_by: str | None = None
    """Who started the running recording (changes to it are made in their name)."""
    server_muted: dict[str, list[str]] = field(default_factory=dict)
    """Participant id -> kinds ("audio", "video") the leader stopped forwarding."""
    chat: deque[ChatLine] = field(default_factory=lambda: deque(maxlen=CHAT_KEPT))
    """The latest chat messages, so a late joiner sees the conversation."""
    practice: dict[str, PracticeView] = field(default_factory=dict)
    """Home practice given in this session, by assignment id."""
    goals: dict[str, GoalView] = field(default_factory=dict)
    """Goals noted in this session, by goal id."""
    private_talk: list[str] = field(default_factory=list)
    """Ids of the people in a private talk now (their media is kept apart from the group)."""
    spotlight: str | None = None
    """The person the lead clinician shows large for everyone (None: nobody)."""
    screen: str | None = None
    """Who is sharing their screen now (None: nobody)."""
    screen_allowed: set[str] = field(default_factory=set)
    """Besides the leads, who a lead let share their screen."""
    clip: RunningClip | None = None
    """The recovery video playing or paused now (None: none)."""
    private_mode: bool = False
    """Private group mode: group members see only the leads (and interpreters)."""
    private_voices: bool = True
    """In private mode, whether group members hear each other."""
    captions: bool = False
    """Live captions are on."""
    guest_names: bool = False
    """The lead lets guest speakers see clients' and supporters' names."""
    poll: OpenPoll | None = None
    """The poll open now, if any."""
    completed_modules: set[tuple[str, str]] = field(default_factory=set)
    """(participant, module) marked completed in this session (a celebration may follow)."""
    achieved_goals: set[tuple[str, str]] = field(default_factory=set)
    """(participant, goal id) marked achieved in this session (the goal may be older)."""
    celebration_offers: dict[str, e.CelebrationOffered] = field(default_factory=dict)
    """Celebrations offered and not yet answered, by id."""
    pairs: PairsView | None = None
    """The pairs or triads practising now, with the leads visiting them."""
    ceremony: RunningCeremony | None = None
    """The graduation ceremony running now, if any."""
    calls: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    """Phone calls placed from this session, by reference: (whom, outcome or None)."""
    last_seq: int = 0

    def apply(self, event: LogEvent) -> None:
        """Fold one logged event into the state."""
        try:
            data = e.decode(event.kind, event.data)
        except ValidationError as exc:
            # A row no version of the channel wrote: keep the rest of the log foldable.
            log.warning("event %s of %s not folded: %s", event.seq, event.kind, exc.errors()[0])
            data = None
        if data is not None:
            fold = _FOLDS.get(type(data))
            if fold is not None:
                fold(self, data)
            if isinstance(data, e.RecordingStarted):
                self.recording_by = event.actor
            if isinstance(data, e.ChatSent):
                self.chat.append(
                    ChatLine(seq=event.seq, at=event.at, actor=event.actor, text=data.text)
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

    def hides_names_from(self, viewer: str | None, *, for_staff: bool = False) -> bool:
        """True when some names are hidden from ``viewer``: private mode hides group
        members from each other; a guest speaker sees no client or supporter names
        unless the lead allows it."""
        if for_staff:
            return False
        person = self.people.get(viewer or "")
        if self.private_mode and (person is None or person.group_member):
            return True
        return self._guest_blind(person)

    def _guest_blind(self, viewer: Person | None) -> bool:
        return viewer is not None and viewer.role is Role.GUEST_SPEAKER and not self.guest_names

    def hides(self, person: Person, viewer: str | None) -> bool:
        """True when ``person``'s name is hidden from ``viewer`` (not staff)."""
        if person.id == viewer:
            return False
        seer = self.people.get(viewer or "")
        if self._guest_blind(seer) and person.role in HIDDEN_FROM_GUESTS:
            return True
        private = self.private_mode and (seer is None or seer.group_member)
        return private and self.hidden(person, viewer)

    def hidden_from(self, person: Person) -> list[str]:
        """Ids of the people present (not staff) from whom ``person``'s name is hidden."""
        return [
            p.id
            for p in self.people.values()
            if p.present and p.role not in _STAFF and self.hides(person, p.id)
        ]

    @staticmethod
    def hidden(person: Person, viewer: str | None) -> bool:
        """True when ``person`` is a group member hidden from another group member."""
        return person.group_member and not person.shown and person.id != viewer

    def open_ids(self) -> list[str]:
        """Who sees and is seen by everyone in private mode (the SFU's ``open`` list)."""
        return sorted(p.id for p in self.people.values() if not p.group_member)

    def shown_ids(self) -> list[str]:
        """Group members who chose to be seen (the SFU's ``shown`` list)."""
        return sorted(p.id for p in self.people.values() if p.group_member and p.shown)

    def snapshot(self, *, for_staff: bool, viewer: str | None = None) -> Snapshot:
        """The state as a late joiner receives it; no slide content.

        The waiting room and everyone's care records only for staff; a client sees
        their own practice and goals (so a reload keeps them on screen).
        """
        visible = [p for p in self.people.values() if p.status != WAITING or for_staff]
        hides = self.hides_names_from(viewer, for_staff=for_staff)

        def own(item: PracticeView | GoalView | e.CelebrationOffered) -> bool:
            return for_staff or item.participant == viewer

        return Snapshot(
            status=self.status,
            locked=self.locked,
            people=[
                p.hidden_view() if hides and self.hides(p, viewer) else p.view() for p in visible
            ],
            slide=None if self.slide is None else ShownSlide(**self.slide.model_dump()),
            handout=self.handout,
            role_play=self.role_play,
            hands=list(self.hands),
            recording=self.recording,
            server_muted={k: list(v) for k, v in self.server_muted.items()},
            chat=list(self.chat),
            private_talk=list(self.private_talk),
            spotlight=self.spotlight,
            screen=self.screen,
            screen_allowed=sorted(self.screen_allowed),
            clip=None if self.clip is None else self.clip.view(now_us()),
            private_mode=self.private_mode,
            private_voices=self.private_voices,
            captions=self.captions,
            guest_names=self.guest_names,
            seq=self.last_seq,
            practice=[p for p in self.practice.values() if own(p)],
            goals=[g for g in self.goals.values() if own(g)],
            poll=None if self.poll is None else self.poll.view(for_staff=for_staff, viewer=viewer),
            celebration_offers=[c for c in self.celebration_offers.values() if own(c)],
            pairs=self.pairs,
            ceremony=None
            if self.ceremony is None
            else self.ceremony.view(for_staff=for_staff, viewer=viewer),
        )


def _joined(s: LiveState, d: e.ParticipantJoined) -> None:
    s.people[d.participant] = Person(
        d.participant,
        d.role,
        d.display_name,
        WAITING,
        language=d.language,
        interprets_for=d.interprets_for,
        via=d.via,
    )
    if not d.waiting:
        _admitted(s, d)


def _admitted(s: LiveState, d: e.About) -> None:
    p = s.people[d.participant]
    p.status, p.ever_admitted = ADMITTED, True


def _set_status(status: str) -> Callable[[LiveState, e.About], None]:
    def fold(s: LiveState, d: e.About) -> None:
        s.people[d.participant].status = status
        if status != ADMITTED and d.participant in s.hands:
            s.hands.remove(d.participant)
        if status != ADMITTED and s.screen == d.participant:
            s.screen = None  # a share never outlives its sharer's presence

    return fold


def _renamed(s: LiveState, d: e.ParticipantRenamed) -> None:
    s.people[d.participant].display_name = d.display_name


def _slide(s: LiveState, d: e.SlideShown) -> None:
    s.slide, s.handout = d, None


def _ceremony_started(s: LiveState, _d: e.CeremonyStarted) -> None:
    s.ceremony = RunningCeremony()


def _ceremony_asked(s: LiveState, d: e.CeremonyAsked) -> None:
    if s.ceremony is not None and d.participant not in s.ceremony.graduates:
        s.ceremony.graduates.append(d.participant)


def _ceremony_answered(s: LiveState, d: e.CeremonyAnswered) -> None:
    if s.ceremony is not None:
        s.ceremony.answers[d.participant] = d.yes


def _ceremony_honoured(s: LiveState, d: e.CeremonyHonoured) -> None:
    if s.ceremony is not None:
        s.ceremony.honoured.append(d.participant)
        s.ceremony.current = d


def _ceremony_ended(s: LiveState, _d: e.CeremonyEnded) -> None:
    s.ceremony = None


def _handout(s: LiveState, d: e.HandoutShown) -> None:
    s.handout = d


def _handout_cleared(s: LiveState, _d: e.HandoutCleared) -> None:
    s.handout = None


def _rp_started(s: LiveState, d: e.RolePlayStarted) -> None:
    s.role_play = RunningRolePlay.model_validate({**d.model_dump(), "step": 0})


def _rp_stepped(s: LiveState, d: e.RolePlayStepped) -> None:
    if s.role_play is not None:
        s.role_play = s.role_play.model_copy(update={"step": d.step})


def _rp_ended(s: LiveState, _d: e.RolePlayEnded) -> None:
    s.role_play = None


def _hand_raised(s: LiveState, d: e.HandRaised) -> None:
    if d.participant not in s.hands:
        s.hands.append(d.participant)


def _hand_lowered(s: LiveState, d: e.HandLowered) -> None:
    if d.participant in s.hands:
        s.hands.remove(d.participant)


def _consent(s: LiveState, d: e.ConsentSet) -> None:
    s.people[d.participant].consent = d.recording


def _server_muted(s: LiveState, d: e.MediaMuted) -> None:
    kinds = set(s.server_muted.get(d.participant, ()))
    kinds = kinds | {d.kind} if d.muted else kinds - {d.kind}
    if kinds:
        s.server_muted[d.participant] = sorted(kinds)
    else:
        s.server_muted.pop(d.participant, None)


def _practice_given(s: LiveState, d: e.AssignmentGiven) -> None:
    s.practice[d.assignment_id] = PracticeView(
        assignment_id=d.assignment_id, participant=d.participant, text=d.text
    )


def _practice_reviewed(s: LiveState, d: e.AssignmentReviewed) -> None:
    given = s.practice.get(d.assignment_id)  # practice from an earlier session is not here
    if given is not None:
        s.practice[d.assignment_id] = given.model_copy(update={"done": d.done})


def _goal_noted(s: LiveState, d: e.GoalNoted) -> None:
    steps = [step for short in d.short_term for step in (short.goal, *short.steps)]
    s.goals[d.goal_id] = GoalView(
        goal_id=d.goal_id, participant=d.participant, goal=d.goal, steps=steps
    )


def _goal_updated(s: LiveState, d: e.GoalUpdated) -> None:
    if d.status == "achieved":
        s.achieved_goals.add((d.participant, d.goal_id))
    noted = s.goals.get(d.goal_id)
    if noted is not None:
        s.goals[d.goal_id] = noted.model_copy(update={"status": d.status})


def _spotlighted(s: LiveState, d: e.VideoSpotlighted) -> None:
    s.spotlight = d.participant


def _screen_started(s: LiveState, d: e.ScreenStarted) -> None:
    s.screen = d.participant


def _screen_stopped(s: LiveState, d: e.ScreenStopped) -> None:
    if s.screen == d.participant:
        s.screen = None


def _clip_started(s: LiveState, d: e.ClipStarted) -> None:
    s.clip = RunningClip(d.clip, d.title, d.duration, True, d.position, d.at_us)


def _clip_moved(playing: bool | None) -> Callable[[LiveState, e.ClipEvent], None]:
    def fold(s: LiveState, d: e.ClipEvent) -> None:
        if s.clip is None or s.clip.clip != d.clip:
            return
        s.clip.position, s.clip.at_us = d.position, d.at_us
        if playing is not None:
            s.clip.playing = playing

    return fold


def _clip_stopped(s: LiveState, d: e.ClipStopped) -> None:
    if s.clip is not None and s.clip.clip == d.clip:
        s.clip = None


def _screen_allowed(s: LiveState, d: e.ScreenAllowed) -> None:
    if d.allowed:
        s.screen_allowed.add(d.participant)
    else:
        s.screen_allowed.discard(d.participant)


def _locked(s: LiveState, d: e.SessionLocked) -> None:
    s.locked = d.locked


def _recording(on: bool) -> Callable[[LiveState, e.EventData], None]:
    def fold(s: LiveState, _d: e.EventData) -> None:
        s.recording = on

    return fold


def _private_talk(s: LiveState, d: e.PrivateTalkStarted) -> None:
    s.private_talk = list(d.participants)


def _private_talk_ended(s: LiveState, _d: e.PrivateTalkEnded) -> None:
    s.private_talk = []


def _private_mode(s: LiveState, d: e.PrivateModeSet) -> None:
    s.private_mode, s.private_voices = d.on, d.voices


def _privacy_chosen(s: LiveState, d: e.PrivacyChosen) -> None:
    person = s.people[d.participant]
    person.shown, person.initials = d.show, d.initials


def _guest_names(s: LiveState, d: e.GuestNamesShown) -> None:
    s.guest_names = d.on


def _captions(s: LiveState, d: e.CaptionsSet) -> None:
    s.captions = d.on


def _started(s: LiveState, _d: e.SessionStarted) -> None:
    s.status = "live"


def _ended(s: LiveState, _d: e.SessionEnded) -> None:
    s.status = "ended"
    s.hands.clear()
    s.role_play = None
    s.private_talk = []
    s.captions = False
    s.screen = None
    s.clip = None
    s.poll = None
    s.pairs = None
    for p in s.people.values():
        if p.status in (ADMITTED, WAITING):
            p.status = LEFT


def _poll_opened(s: LiveState, d: e.PollOpened) -> None:
    s.poll = OpenPoll(d)


def _poll_answered(s: LiveState, d: e.PollAnswered) -> None:
    if s.poll is not None and s.poll.asked.poll_id == d.poll_id:
        s.poll.answers[d.participant] = list(d.choices)


def _poll_closed(s: LiveState, d: e.PollClosed) -> None:
    if s.poll is not None and s.poll.asked.poll_id == d.poll_id:
        s.poll = None


def _module_completed(s: LiveState, d: e.ModuleCompleted) -> None:
    s.completed_modules.add((d.participant, d.module))


def _celebration_offered(s: LiveState, d: e.CelebrationOffered) -> None:
    s.celebration_offers[d.celebration_id] = d


def _celebration_answered(s: LiveState, d: e.CelebrationAnswered) -> None:
    s.celebration_offers.pop(d.celebration_id, None)


def _pairs_started(s: LiveState, d: e.PairsStarted) -> None:
    s.pairs = PairsView(**d.model_dump())


def _pair_visited(s: LiveState, d: e.PairVisited) -> None:
    if s.pairs is not None:
        visiting = {k: v for k, v in s.pairs.visiting.items() if k != d.participant}
        if d.group:
            visiting[d.participant] = d.group
        s.pairs = s.pairs.model_copy(update={"visiting": visiting})


def _pairs_ended(s: LiveState, _d: e.PairsEnded) -> None:
    s.pairs = None


def _call_placed(s: LiveState, d: e.PhoneCallPlaced) -> None:
    s.calls[d.call] = (d.participant, None)


def _call_outcome(s: LiveState, d: e.PhoneCallOutcome) -> None:
    s.calls[d.call] = (d.participant, d.outcome)


_FOLDS: dict[type[e.EventData], Callable[[LiveState, Any], None]] = {
    e.SessionStarted: _started,
    e.SessionEnded: _ended,
    e.SessionLocked: _locked,
    e.ParticipantJoined: _joined,
    e.ParticipantAdmitted: _admitted,
    e.ParticipantRejoined: _admitted,
    e.ParticipantDenied: _set_status(DENIED),
    e.ParticipantLeft: _set_status(LEFT),
    e.ParticipantDropped: _set_status(DROPPED),
    e.ParticipantRemoved: _set_status(REMOVED),
    e.ParticipantRenamed: _renamed,
    e.SlideShown: _slide,
    e.HandoutShown: _handout,
    e.HandoutCleared: _handout_cleared,
    e.CeremonyStarted: _ceremony_started,
    e.CeremonyAsked: _ceremony_asked,
    e.CeremonyAnswered: _ceremony_answered,
    e.CeremonyHonoured: _ceremony_honoured,
    e.CeremonyEnded: _ceremony_ended,
    e.RolePlayStarted: _rp_started,
    e.RolePlayStepped: _rp_stepped,
    e.RolePlayEnded: _rp_ended,
    e.HandRaised: _hand_raised,
    e.HandLowered: _hand_lowered,
    e.ConsentSet: _consent,
    e.MediaMuted: _server_muted,
    e.VideoSpotlighted: _spotlighted,
    e.ScreenStarted: _screen_started,
    e.ScreenStopped: _screen_stopped,
    e.ScreenAllowed: _screen_allowed,
    e.ClipStarted: _clip_started,
    e.ClipPaused: _clip_moved(False),
    e.ClipResumed: _clip_moved(True),
    e.ClipSought: _clip_moved(None),
    e.ClipStopped: _clip_stopped,
    e.AssignmentGiven: _practice_given,
    e.AssignmentReviewed: _practice_reviewed,
    e.GoalNoted: _goal_noted,
    e.GoalUpdated: _goal_updated,
    e.RecordingStarted: _recording(True),
    e.RecordingStopped: _recording(False),
    e.PrivateTalkStarted: _private_talk,
    e.PrivateTalkEnded: _private_talk_ended,
    e.PrivateModeSet: _private_mode,
    e.PrivacyChosen: _privacy_chosen,
    e.CaptionsSet: _captions,
    e.GuestNamesShown: _guest_names,
    e.PollOpened: _poll_opened,
    e.PollAnswered: _poll_answered,
    e.PollClosed: _poll_closed,
    e.ModuleCompleted: _module_completed,
    e.CelebrationOffered: _celebration_offered,
    e.CelebrationAnswered: _celebration_answered,
    e.PairsStarted: _pairs_started,
    e.PairVisited: _pair_visited,
    e.PairsEnded: _pairs_ended,
    e.PhoneCallPlaced: _call_placed,
    e.PhoneCallOutcome: _call_outcome,
}
"""Kind -> fold; kinds without one (chat, requests, ratings) change no live state."""
