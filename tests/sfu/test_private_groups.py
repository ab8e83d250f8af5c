"""Private groups in a room: media crosses only within a group, and a private talk is not recorded."""

from __future__ import annotations

from tests.sfu.conftest import Harness, eventually


async def test_a_private_group_is_not_recorded_and_recording_resumes_after(
    harness: Harness,
) -> None:
    lead = await harness.joined("lead", "red")
    await harness.joined("ann", "blue")
    await eventually(lambda: lead.video_frames_from("ann") >= 5, what="media flowing")
    await lead.send({"type": "record", "on": True, "allowed": ["lead", "ann"]})
    recording = harness.sfu._rooms[harness.room].recording
    assert recording is not None
    await eventually(
        lambda: len(recording.tracks()) == 4 and all(t.frames >= 10 for t in recording.tracks()),
        what="both recorded",
    )

    await lead.send({"type": "group", "members": ["lead", "ann"], "group": "private-talk"})
    assert all(t.closed for t in recording.tracks())
    # The pair still see each other while nothing of them is written.
    seen = lead.video_frames_from("ann")
    await eventually(lambda: lead.video_frames_from("ann") > seen + 30, what="pair's media")
    assert len(recording.tracks()) == 4

    await lead.send({"type": "group", "members": ["lead", "ann"], "group": ""})
    await eventually(
        lambda: (
            {t.path.name for t in recording.tracks() if not t.closed and t.frames >= 5}
            == {"lead.audio-2.webm", "lead.video-2.webm", "ann.audio-2.webm", "ann.video-2.webm"}
        ),
        what="recorded again, in new files",
    )
    await lead.send({"type": "record", "on": False})
