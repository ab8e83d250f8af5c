"""A session's timeline in plain words, from its log: what happened, when, and who did it."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from imr_live.domain.imr_scales import mean_score
from imr_live.reports.roster import Roster
from imr_live.reports.scale import OLD_ITEMS
from imr_live.store.session_log import LogEvent

GROUPS: dict[str, frozenset[str]] = {
    "attendance": frozenset(
        {
            "participant.joined",
            "participant.admitted",
            "participant.denied",
            "participant.rejoined",
            "participant.left",
            "participant.dropped",
            "participant.removed",
            "guest.introduced",
        }
    ),
    "slides": frozenset({"slide.shown", "handout.shown", "handout.cleared"}),
    "role_plays": frozenset({"roleplay.started", "roleplay.stepped", "roleplay.ended"}),
    "hands": frozenset({"hand.raised", "hand.lowered"}),
    "chat": frozenset({"chat.sent"}),
    "assignments": frozenset({"assignment.given", "assignment.reviewed"}),
    "goals": frozenset({"goal.noted", "goal.updated"}),
    "consent": frozenset({"consent.set"}),
    "recording": frozenset({"recording.started", "recording.stopped", "recording.deleted"}),
    "scale": frozenset({"scale.recorded"}),
    "modules": frozenset({"module.completed"}),
    "safety": frozenset(
        {"safety.confirmed", "help.requested", "private_talk.started", "private_talk.ended"}
    ),
    "polls": frozenset({"poll.opened", "poll.answered", "poll.closed"}),
    "celebrations": frozenset({"celebration.offered", "celebration.answered"}),
    "pairs": frozenset({"pairs.started", "pairs.visited", "pairs.ended"}),
    "screen": frozenset({"screen.started", "screen.stopped", "screen.allowed"}),
    "videos": frozenset(
        {"clip.started", "clip.paused", "clip.resumed", "clip.sought", "clip.stopped"}
    ),
    "ceremony": frozenset(
        {
            "ceremony.started",
            "ceremony.asked",
            "ceremony.answered",
            "ceremony.honoured",
            "ceremony.ended",
        }
    ),
    "phone_calls": frozenset({"phone.call_placed", "phone.call_outcome"}),
    "privacy": frozenset({"privacy.mode_set", "privacy.chosen"}),
    "captions": frozenset({"captions.set", "caption.said"}),
    "leader_actions": frozenset(
        {
            "video.spotlighted",
            "session.started",
            "session.ended",
            "session.locked",
            "participant.renamed",
            "guest.names_shown",
            "mute.requested",
            "media.muted",
        }
    ),
}
"""Kind groups a reviewer filters by; every kind the live channel logs is in one."""

_GROUP_OF = {kind: group for group, kinds in GROUPS.items() for kind in kinds}
CHAT_PREVIEW = 200


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of the timeline."""

    seq: int
    """The event's place in the log."""
    at: int
    """When, µs since the epoch."""
    kind: str
    """The logged event kind."""
    group: str
    """Its kind group (see ``GROUPS``); ``other`` for kinds not listed."""
    actor: str
    """Participant id of whoever did it."""
    who: str
    """The actor's display name at that moment."""
    summary: str
    """What happened, in plain words."""
    duration_s: int | None = None
    """How long it lasted, for slides (until the next slide or the end)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "seq": self.seq,
            "at": self.at,
            "kind": self.kind,
            "group": self.group,
            "actor": self.actor,
            "who": self.who,
            "summary": self.summary,
            "duration_s": self.duration_s,
        }


def timeline(
    events: list[LogEvent],
    groups: Collection[str] | None = None,
    staff: Mapping[str, str] | None = None,
) -> list[TimelineEntry]:
    """Every event as a timeline entry, optionally only those of ``groups``.

    ``staff`` (account id -> username) names staff who act before they join the
    room (a leader starting the session) or without joining it (an admin).
    """
    roster = Roster(names=dict(staff or {}))
    durations = slide_durations(events)
    entries = []
    for ev in events:
        if ev.kind == "participant.joined":
            roster.apply(ev)
        said = describe(ev, roster, durations.get(ev.seq))
        who = roster.name(ev.actor)
        roster.apply(ev)  # renames take effect after the line that reports them
        group = _GROUP_OF.get(ev.kind, "other")
        if groups is not None and group not in groups:
            continue
        entries.append(
            TimelineEntry(ev.seq, ev.at, ev.kind, group, ev.actor, who, said, durations.get(ev.seq))
        )
    return entries


def slide_durations(events: list[LogEvent]) -> dict[int, int]:
    """Seq of each ``slide.shown`` -> seconds until the next slide or the session's end."""
    out: dict[int, int] = {}
    current: LogEvent | None = None
    for ev in events:
        if ev.kind in ("slide.shown", "session.ended") and current is not None:
            out[current.seq] = (ev.at - current.at) // 1_000_000
            current = None
        if ev.kind == "slide.shown":
            current = ev
    if current is not None:
        out[current.seq] = (events[-1].at - current.at) // 1_000_000
    return out


def for_humans(seconds: int) -> str:
    """``40 s``, ``4 min``, ``1 h 5 min``."""
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def describe(ev: LogEvent, roster: Roster, duration_s: int | None = None) -> str:
    """One event in plain words, names resolved with ``roster``."""
    actor, d = roster.name(ev.actor), ev.data
    subject = roster.name(str(d["participant"])) if "participant" in d else ""
    if ev.kind == "roleplay.started":
        return _role_play(actor, d, roster)
    if ev.kind in ("pairs.started", "pairs.ended"):
        return _pairs(actor, d, roster)
    say = _SAY.get(ev.kind)
    if say is None:
        return f"{actor}: {ev.kind}"
    text = say(actor, subject, d)
    if ev.kind == "slide.shown" and duration_s is not None:
        text += f" for {for_humans(duration_s)}"
    return text


def _joined(_a: str, s: str, d: dict[str, Any]) -> str:
    return f"{s} arrived ({d['role']}){' and is waiting' if d.get('waiting') else ''}"


def _role_play(actor: str, d: dict[str, Any], roster: Roster) -> str:
    cast = ", ".join(f"{roster.name(pid)} played {role}" for role, pid in d["cast"].items())
    return f"{actor} started the role play '{d.get('title', '')}'" + (f": {cast}" if cast else "")


def _pairs(actor: str, d: dict[str, Any], roster: Roster) -> str:
    """Who practised with whom (and, once back, for how long)."""
    if "practised" not in d:
        names = ["; ".join(" and ".join(map(roster.name, g["members"])) for g in d["groups"])]
        return f"{actor} started practice in pairs: {names[0]}"
    done = [
        f"{' and '.join(map(roster.name, p['members']))} for {for_humans(p['seconds'])}"
        for p in d["practised"]
    ]
    how = " (time was up)" if d.get("reason") == "timer" else ""
    return f"{actor} brought the pairs back{how}: " + "; ".join(done)


def _poll_closed(a: str, _s: str, d: dict[str, Any]) -> str:
    counts = d.get("counts")
    shown = f"; shown to the group: {counts}" if counts is not None else ""
    return f"{a} closed the poll ({d.get('answered', 0)} answered{shown})"


def _goal_update(_a: str, s: str, d: dict[str, Any]) -> str:
    words = {"in_progress": "in progress", "achieved": "achieved", "dropped": "dropped"}
    note = f": {d['note']}" if d.get("note") else ""
    return f"{s}'s goal marked {words.get(d['status'], d['status'])}{note}"


def _review(a: str, s: str, d: dict[str, Any]) -> str:
    done = "done" if d.get("done") else "not done"
    note = f": {d['note']}" if d.get("note") else ""
    return f"{a} reviewed {s}'s home assignment ({done}){note}"


def _clock(d: dict[str, Any]) -> str:
    """A video position as minutes:seconds."""
    seconds = int(float(d.get("position") or 0))
    return f"{seconds // 60}:{seconds % 60:02d}"


_SAY: dict[str, Callable[[str, str, dict[str, Any]], str]] = {
    "session.started": lambda a, _s, _d: f"{a} started the session",
    "session.ended": lambda a, _s, _d: f"{a} ended the session",
    "session.locked": lambda a, _s, d: f"{a} {'locked' if d['locked'] else 'unlocked'} the session",
    "participant.joined": _joined,
    "participant.admitted": lambda a, s, _d: f"{s} was admitted by {a}",
    "participant.denied": lambda a, s, _d: f"{s} was turned away by {a}",
    "participant.rejoined": lambda _a, s, _d: f"{s} came back",
    "participant.left": lambda _a, s, d: f"{s} left" + _reason(d),
    "participant.dropped": lambda _a, s, d: f"{s} dropped out" + _reason(d),
    "participant.removed": lambda a, s, _d: f"{s} was removed by {a}",
    "participant.renamed": lambda a, s, d: f"{a} renamed {s} to {d['display_name']}",
    "slide.shown": lambda _a, _s, d: f"Slide {d['index'] + 1} of {d['count']} shown",
    "handout.shown": lambda a, _s, d: (
        f"{a} showed the handout {d.get('title', '')}, page {d.get('page')} of {d.get('pages')}"
    ),
    "handout.cleared": lambda a, _s, _d: f"{a} put the handout away",
    "ceremony.started": lambda a, _s, _d: f"{a} started a graduation ceremony",
    "ceremony.asked": lambda a, s, _d: f"{a} asked {s} if their certificate may be shown",
    "ceremony.answered": lambda _a, s, d: (
        f"{s} said {'yes' if d.get('yes') else 'no'} to showing their certificate"
    ),
    "ceremony.honoured": lambda a, s, _d: f"{a} showed {s}'s graduation certificate to everyone",
    "ceremony.ended": lambda a, _s, _d: f"{a} ended the graduation ceremony",
    "roleplay.stepped": lambda a, _s, d: f"{a} moved the role play to step {d['step'] + 1}",
    "roleplay.ended": lambda a, _s, _d: f"{a} ended the role play",
    "hand.raised": lambda _a, s, _d: f"{s} raised a hand",
    "hand.lowered": lambda a, s, _d: f"{s}'s hand was lowered" + ("" if a == s else f" by {a}"),
    "chat.sent": lambda a, _s, d: f"{a} wrote in chat: {d['text'][:CHAT_PREVIEW]}",
    "mute.requested": lambda a, s, d: f"{a} asked {s} to mute their {d.get('kind', 'audio')}",
    "media.muted": lambda a, s, d: f"{a} {'muted' if d.get('muted') else 'unmuted'} {s}",
    "assignment.given": lambda a, s, d: f"{a} gave {s} a home assignment: {d['text']}",
    "assignment.reviewed": _review,
    "goal.noted": lambda a, s, d: f"{a} noted a goal for {s}: {d['goal']}",
    "goal.updated": _goal_update,
    "consent.set": lambda _a, s, d: (
        f"{s} {'agreed' if d['recording'] else 'declined'} to recording"
    ),
    "recording.started": lambda a, _s, _d: f"{a} started recording",
    "recording.stopped": lambda a, _s, _d: "Recording stopped",
    "recording.deleted": lambda a, _s, d: f"{a} deleted the recordings ({d['files']} files)",
    "scale.recorded": lambda _a, s, d: _scale(s, d),
    "safety.confirmed": lambda _a, s, _d: f"{s} said where they are and how to reach them",
    "help.requested": lambda _a, s, _d: f"{s} asked the leaders for help now",
    "private_talk.started": lambda a, _s, d: (
        f"{a} started a private talk ({len(d.get('participants', []))} people)"
    ),
    "guest.introduced": lambda _a, s, _d: f"{s} was introduced to the group as a guest speaker",
    "guest.names_shown": lambda a, _s, d: (
        f"{a} {'let guest speakers see' if d.get('on') else 'hid'} the group's names"
        + ("" if d.get("on") else " from guest speakers")
    ),
    "private_talk.ended": lambda a, _s, _d: f"{a} brought the private talk back to the group",
    "note.signed": lambda a, _s, d: f"{a} signed the progress note of {d.get('client')}",
    "note.amended": lambda a, _s, d: (
        f"{a} amended the progress note of {d.get('client')}: {d.get('reason', '')}"
    ),
    "poll.opened": lambda a, _s, d: (
        f"{a} asked the group: {d['question']} ({' / '.join(d.get('options', []))})"
    ),
    "poll.answered": lambda _a, s, d: (
        f"{s} answered the poll: option {', '.join(str(c + 1) for c in d['choices'])}"
    ),
    "poll.closed": _poll_closed,
    "screen.started": lambda _a, s, _d: f"{s} began sharing their screen",
    "screen.stopped": lambda a, s, d: (
        f"{s} left while sharing their screen"
        if d.get("reason") == "left"
        else f"{s}'s screen share was stopped" + ("" if a == s else f" by {a}")
    ),
    "screen.allowed": lambda a, s, d: (
        f"{a} {'let' if d.get('allowed') else 'no longer lets'} {s} share their screen"
    ),
    "phone.call_placed": lambda a, s, _d: f"{a} called {s}'s phone",
    "phone.call_outcome": lambda _a, s, d: (
        f"The call to {s}'s phone: "
        + {
            "answered": "answered",
            "no_answer": "no answer",
            "busy": "the line was busy",
        }.get(str(d.get("outcome")), "it did not go through")
    ),
    "clip.started": lambda a, _s, d: f"{a} played the video {d.get('title', '')}",
    "clip.paused": lambda a, _s, d: f"{a} paused the video at {_clock(d)}",
    "clip.resumed": lambda a, _s, d: f"{a} let the video go on from {_clock(d)}",
    "clip.sought": lambda a, _s, d: f"{a} moved the video to {_clock(d)}",
    "clip.stopped": lambda a, _s, d: f"{a} stopped the video at {_clock(d)}",
    "celebration.offered": lambda a, s, d: (
        f"{a} asked {s} if the group may celebrate: {d.get('title', '')}"
    ),
    "celebration.answered": lambda _a, s, d: (
        f"{s} said {'yes' if d.get('yes') else 'no'} to celebrating {d.get('title', '')}"
    ),
    "pairs.visited": lambda a, _s, d: (
        f"{a} visited {d['group']}" if d.get("group") else f"{a} came back from the pairs"
    ),
    "video.spotlighted": lambda a, s, d: (
        f"{a} showed {s} large to everyone" if d.get("participant") else f"{a} ended the large view"
    ),
    "privacy.mode_set": lambda a, _s, d: (
        f"{a} turned private group mode "
        + ("on" + ("" if d.get("voices", True) else " (group members do not hear each other)"))
        if d.get("on")
        else f"{a} turned private group mode off"
    ),
    "privacy.chosen": lambda _a, s, d: (
        f"{s} chose to be seen by the group"
        if d.get("show")
        else f"{s} chose to stay hidden from the group"
    ),
    "captions.set": lambda a, _s, d: f"{a} turned live captions {'on' if d.get('on') else 'off'}",
    "caption.said": lambda _a, s, d: f"{s} (caption): {d.get('text', '')[:CHAT_PREVIEW]}",
    "module.completed": lambda a, s, d: (
        f"{a} marked {s}'s module {d.get('module')} completed: {d.get('reason', '')}"
    ),
}


def _scale(subject: str, d: dict[str, Any]) -> str:
    """A rating in words: the published form's mean, or the old form's total."""
    items = d.get("items") or []
    if len(items) == OLD_ITEMS:
        return f"IMR scale for {subject} ({d['rater']} rating, old form): {d.get('total')}"
    mean = mean_score(tuple(items))
    score = "no items answered" if mean is None else f"mean {mean:.2f}"
    answered = sum(a is not None for a in items)
    return f"IMR Scales for {subject} ({d['rater']} version): {score} over {answered} items"


def _reason(d: dict[str, Any]) -> str:
    reasons = {"disconnected": "connection lost", "server_restart": "server restarted"}
    reason = d.get("reason")
    return f" ({reasons.get(reason, reason)})" if reason and reason != "left" else ""
