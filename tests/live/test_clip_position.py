"""Where a recovery video is: the snapshot's position follows the log and the clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from imr_live.domain import event_data as e
from imr_live.domain.clock import SECOND_US
from imr_live.domain.live_state import LiveState, RunningClip
from imr_live.edges.clip_library import ClipLibrary
from imr_live.errors import InvalidInput, NotFound
from tests.clip_files import make_clip


def test_the_position_runs_while_playing_and_stops_at_pause_and_at_the_end() -> None:
    clip = RunningClip("c1", "Calm", 60.0, True, 10.0, at_us=1_000 * SECOND_US)
    assert clip.position_at(1_005 * SECOND_US) == 15.0
    assert clip.position_at(1_100 * SECOND_US) == 60.0, "never past the end"
    assert clip.view(1_100 * SECOND_US).playing is False, "played to its end"
    clip.playing = False
    assert clip.position_at(1_005 * SECOND_US) == 10.0


def test_the_reducer_keeps_the_clip_until_it_stops() -> None:
    state = LiveState("s1")
    fold = {
        e.ClipStarted: e.ClipStarted(clip="c1", title="Calm", duration=30, at_us=0),
        e.ClipPaused: e.ClipPaused(clip="c1", position=4.5, at_us=SECOND_US),
        e.ClipSought: e.ClipSought(clip="c1", position=20, at_us=2 * SECOND_US),
    }
    from imr_live.domain.live_state import _FOLDS

    for data in fold.values():
        _FOLDS[type(data)](state, data)
    assert state.clip is not None
    view = state.snapshot(for_staff=False).clip
    assert view is not None and (view.position, view.playing) == (20.0, False)
    _FOLDS[e.ClipStopped](state, e.ClipStopped(clip="c1"))
    assert state.snapshot(for_staff=False).clip is None


def test_the_library_lists_shipped_and_uploaded_clips_and_refuses_others(tmp_path: Path) -> None:
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    make_clip(shipped / "Calm breathing.webm", seconds=1)
    (shipped / "notes.mp4").write_text("not a video")
    library = ClipLibrary(tmp_path / "uploads", shipped)
    found = library.for_session("s1")
    assert [(c.id, c.title, c.shipped) for c in found] == [
        ("shipped-Calm-breathing", "Calm breathing", True)
    ]
    data = make_clip(tmp_path / "a.mp4", seconds=1, video="libx264").read_bytes()
    added = library.add("s1", " My  story ", "a.mp4", data)
    assert added.title == "My story" and added.path.suffix == ".mp4" and added.path.is_absolute()
    assert library.find("s1", added.id) == added
    with pytest.raises(NotFound):
        library.find("s2", added.id)
    with pytest.raises(InvalidInput, match="not a video"):
        library.add("s1", "", "x.webm", b"hello")
    assert sorted(p.suffix for p in (tmp_path / "uploads" / "s1").iterdir()) == [".json", ".mp4"]
