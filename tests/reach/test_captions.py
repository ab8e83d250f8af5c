"""Live captions: espeak-ng speaks into an aiortc publisher; everyone receives the words as text."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from imr_live.captions.captioner import Captioner
from imr_live.captions.engine import PocketSphinx, load_engine
from imr_live.captions.segmenter import FRAME_BYTES, Segmenter, Utterance
from tests.clip_files import make_clip
from tests.live.harness import LiveClient, Server, start_server
from tests.live.test_media_over_live_channel import publishing
from tests.live.test_permissions import admitted_guest, lead_and_two_clients
from tests.reach.speech import publish_wav, speak_to_wav
from tests.reach.speech_engines import LengthEngine, WhereEngine

SENTENCE = "hello everyone welcome to the group"
KEY_WORDS = {"hello", "everyone"}


async def test_spoken_words_reach_everyone_as_captions_and_are_kept_when_all_agreed(
    media_server: Server, tmp_path: Path
) -> None:
    server = media_server
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join", {"consent": True})
    ann, ann_id = await admitted_guest(server, leader, await clinician.invite(sid), "Ann")
    await ann.ok("consent.set", {"recording": True})
    refused = await ann.call("captions.set", {"on": True})
    assert refused["error"]["code"] == "forbidden"
    await leader.ok("captions.set", {"on": True})
    assert (await leader.call("captions.set", {"on": True}))["error"]["code"] == "conflict"
    await ann.wait_event("captions.set", on=True)

    wav = speak_to_wav(SENTENCE, tmp_path / "said.wav")
    pc, _player = await publish_wav(ann, wav)
    try:
        # The sentence may come as one caption or several (at pauses): wait for the words.
        await hears_key_words(leader, 240)
    finally:
        await pc.close()
    captions = [d for n, d in leader.received if n == "caption"]
    assert {c["participant"] for c in captions} == {ann_id}
    assert all(c["kept"] for c in captions)
    await hears_key_words(ann, 30)
    kept = [e for e in await server.services.log.read(sid) if e.kind == "caption.said"]
    assert [(e.actor, e.data["text"]) for e in kept] == [(ann_id, c["text"]) for c in captions]


def heard(client: LiveClient) -> set[str]:
    """Every word of the captions a client received so far."""
    return {w for n, d in client.received if n == "caption" for w in d["text"].split()}


async def hears_key_words(client: LiveClient, timeout: float) -> None:
    """Wait until a client's captions hold the key words; fail with what they did read."""
    try:
        await client.wait_for(lambda n, _d: n == "caption" and KEY_WORDS <= heard(client), timeout)
    except TimeoutError:
        read = [d["text"] for n, d in client.received if n == "caption"]
        raise AssertionError(f"captions read {read}, not all of {sorted(KEY_WORDS)}") from None


async def test_a_caption_is_not_kept_unless_everyone_present_agreed(media_server: Server) -> None:
    server = media_server
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join", {"consent": True})
    ann, ann_id = await admitted_guest(server, leader, await clinician.invite(sid), "Ann")
    await ann.ok("consent.set", {"recording": False})
    captions = server.services.channel.captions
    await captions.deliver(sid, ann_id, "not while off", 0.0)
    await leader.ok("captions.set", {"on": True})
    await captions.deliver(sid, ann_id, "my week was hard", 0.0)
    caption = await leader.wait_for(lambda n, _d: n == "caption")
    assert (caption["text"], caption["kept"]) == ("my week was hard", False)
    assert [d["text"] for n, d in ann.received if n == "caption"] in ([], ["my week was hard"])
    assert "not while off" not in str(leader.received)
    kinds = [e.kind for e in await server.services.log.read(sid)]
    assert "captions.set" in kinds and "caption.said" not in kinds


def test_the_segmenter_cuts_an_utterance_at_a_pause_and_drops_clicks() -> None:
    loud = (b"\x00\x20" * (FRAME_BYTES // 2)) * 25  # 0.5 s of loud
    quiet = b"\x00\x00" * (FRAME_BYTES // 2) * 30  # 0.6 s of quiet
    segmenter = Segmenter()
    assert segmenter.feed(loud, 1.0) is None
    done = segmenter.feed(quiet, 2.0)
    assert done is not None and done.speech_end == 1.0
    assert len(done.pcm) == len(loud) + FRAME_BYTES * 25  # no quiet before: no pre-roll
    click = (b"\x00\x20" * (FRAME_BYTES // 2)) * 3
    assert segmenter.feed(click + quiet, 3.0) is None


def test_engines_are_chosen_by_name() -> None:
    assert load_engine("off") is None
    assert isinstance(load_engine("pocketsphinx"), PocketSphinx)


LOUD = (b"\x00\x20" * (FRAME_BYTES // 2)) * 25  # 0.5 s of speech-loud audio
QUIET = b"\x00\x00" * (FRAME_BYTES // 2) * 30  # 0.6 s of quiet: the utterance ends


async def test_recognition_runs_in_a_speech_worker_process_not_the_servers() -> None:
    """PocketSphinx holds the GIL while it decodes: in the server's process (it ran in a
    thread) every session stalled while anyone spoke. It runs in a worker process, and a
    worker that dies is replaced for the next words."""
    said: asyncio.Queue[tuple[str, str, str]] = asyncio.Queue()

    async def deliver(room: str, who: str, text: str, _end: float) -> None:
        await said.put((room, who, text))

    captioner = Captioner(WhereEngine(), deliver)
    try:
        listen = captioner.listener_for("room-1")
        listen("ann", LOUD + QUIET, 1.0)
        room, who, text = await asyncio.wait_for(said.get(), 60)
        assert (room, who) == ("room-1", "ann") and text.startswith("heard in ")
        worker_pid = int(text.removeprefix("heard in "))
        assert worker_pid != os.getpid()

        # A silent utterance the engine chokes on (its process exits): no caption,
        # a log line, and the next person's words are recognised by a new worker.
        captioner._recognise(("room-1", "ben"), Utterance(pcm=b"\x00\x00" * 8000, speech_end=2.0))
        await asyncio.sleep(0)
        await asyncio.gather(*captioner._tasks)
        listen("cy", LOUD + QUIET, 3.0)
        room, who, text = await asyncio.wait_for(said.get(), 60)
        assert who == "cy" and int(text.removeprefix("heard in ")) not in (worker_pid, os.getpid())
    finally:
        await captioner.close()


async def test_a_stalled_server_does_not_cut_a_sentence_in_two() -> None:
    """CI failed when the server's own loop stalled for most of a second in mid-sentence:
    no audio was read while it stood still, the "no sound for 0.6 s" timer took the stall
    for the speaker's pause and cut the sentence in two, and neither half was recognised
    (the clip's "hello everyone welcome" came out as "oh you" and "read what will the
    crew"). Quiet counts only while the server could have heard sound."""
    said: asyncio.Queue[str] = asyncio.Queue()

    async def deliver(_room: str, _who: str, text: str, _end: float) -> None:
        await said.put(text)

    captioner = Captioner(LengthEngine(), deliver)
    try:
        listen = captioner.listener_for("room-1")
        listen("ann", LOUD, 1.0)
        time.sleep(0.9)  # the loop stands still (a busy machine, a slow request)
        await asyncio.sleep(0.05)  # timers due in the stall run before the late audio
        listen("ann", LOUD + QUIET, 2.0)
        # One utterance: both halves of the speech and the 25 quiet frames that end it.
        assert await asyncio.wait_for(said.get(), 60) == f"frames {25 + 25 + 25}"
        # A speaker who really goes silent (muted, left) is still cut after the quiet.
        listen("ann", LOUD, 3.0)
        pre_roll = 5  # the quiet left over after the first cut (30 frames, cut at 25)
        assert await asyncio.wait_for(said.get(), 60) == f"frames {25 + pre_roll}"
    finally:
        await captioner.close()


async def test_a_recovery_videos_words_are_captioned_for_everyone_and_never_kept(
    tmp_path: Path,
) -> None:
    # A deaf client watching a recovery video needs its words as much as a person's.
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    wav = speak_to_wav(SENTENCE, tmp_path / "said.wav")
    make_clip(shipped / "welcome.webm", seconds=8, speech=wav)
    (shipped / "welcome.txt").write_text("Welcome")
    server = await start_server(tmp_path, sfu=True, clips_dir=shipped)
    try:
        clinician, sid, leader, (ann, ann_id), (ben, ben_id) = await lead_and_two_clients(server)
        for client in (leader, ann, ben):
            await client.ok("consent.set", {"recording": True})
        _status, listed = await clinician.api("GET", f"/api/sessions/{sid}/clips")
        clip_id = listed["clips"][0]["id"]
        async with publishing((leader, clinician.id), (ann, ann_id), (ben, ben_id)):
            await leader.ok("captions.set", {"on": True})
            await leader.ok("clip.play", {"clip": clip_id})
            await hears_key_words(ann, 240)
        captions = [d for n, d in ann.received if n == "caption"]
        assert {c["participant"] for c in captions} == {f"clip~{clip_id}"}
        assert not any(c["kept"] for c in captions), "the video's words are not the group's"
        kinds = [e.kind for e in await server.services.log.read(sid)]
        assert "caption.said" not in kinds
    finally:
        await server.stop()
