"""Typed SFU messages: checked once on the way in, and the browser's wire shapes on the way out."""

from __future__ import annotations

from typing import Any

import pytest

from imr_live.media.rpc import RpcReply, RpcRequest
from sfu.errors import BadMessage
from sfu.messages import (
    AudioOnly,
    Group,
    IceRestart,
    Join,
    LinkQualityChanged,
    Mute,
    Publish,
    Record,
    Recording,
    Removed,
    ServerMute,
    SubscribeOffer,
    TrackAdded,
    TrackInfo,
    TrackRemoved,
    parse_request,
)


@pytest.mark.parametrize(
    ("wire", "typed"),
    [
        ({"type": "join"}, Join()),
        ({"type": "publish", "sdp": "v=0"}, Publish("v=0")),
        ({"type": "mute", "kind": "video"}, Mute("video", True)),
        ({"type": "server_mute", "target": "bob"}, ServerMute("bob", "audio", True)),
        ({"type": "audio_only"}, AudioOnly(True)),
        ({"type": "ice_restart", "pc": "sub"}, IceRestart()),
        ({"type": "record", "on": True, "allowed": ["ann", "bob"]}, Record(True, ("ann", "bob"))),
        ({"type": "group", "members": ["ann", "dana"], "group": "p"}, Group(("ann", "dana"), "p")),
        ({"type": "group", "members": ["ann"]}, Group(("ann",), "")),
    ],
)
def test_requests_are_read_with_the_same_defaults_the_browser_relies_on(
    wire: dict[str, Any], typed: object
) -> None:
    assert parse_request(wire) == typed


@pytest.mark.parametrize(
    ("wire", "error"),
    [
        ([], "a message must be an object"),
        ({"type": "dance"}, "unknown message type 'dance'"),
        ({"sdp": "v=0"}, "unknown message type None"),
        ({"type": "publish", "sdp": "v=0", "sdp_type": "answer"}, "publish carries an offer"),
        ({"type": "answer", "sdp": ""}, "'sdp' must be a non-empty string"),
        ({"type": "mute", "kind": "smell"}, "'kind' must be 'audio' or 'video'"),
        ({"type": "mute", "kind": "audio", "muted": "yes"}, "'muted' must be true or false"),
        ({"type": "remove", "target": "../etc"}, "target id '../etc' is not a valid id"),
        ({"type": "record", "on": True, "allowed": "ann"}, "'allowed' must be a list"),
        ({"type": "record", "on": True, "allowed": ["a b"]}, "allowed id 'a b' is not"),
        ({"type": "ice_restart", "pc": "pub"}, "restart publishing by sending"),
        ({"type": "group", "members": []}, "'members' must be a list of 1-8"),
        ({"type": "group", "members": ["ann", 7]}, "'members' must be a list of participant"),
        ({"type": "group", "members": ["a b"]}, "members id 'a b' is not"),
        ({"type": "group", "members": ["ann"], "group": "x/y"}, "group id 'x/y' is not"),
        ({"type": "group", "members": ["ann"], "group": 1}, "'group' must be a string"),
    ],
)
def test_bad_requests_are_refused_with_a_clear_message(wire: object, error: str) -> None:
    with pytest.raises(BadMessage) as err:
        parse_request(wire)
    assert err.value.message.startswith(error)


def test_typed_requests_check_their_values_too() -> None:
    with pytest.raises(BadMessage):
        ServerMute("bob", "smell", True)  # type: ignore[arg-type]
    with pytest.raises(BadMessage):
        Record(True, ("ann", ""))


def test_events_keep_the_wire_shape_the_browser_reads() -> None:
    track = TrackInfo(participant="bob", kind="video", mid="1", track_id="bob:video")
    assert SubscribeOffer(new_pc=True, sdp="v=0", tracks=(track,)).to_wire() == {
        "type": "offer",
        "pc": "sub",
        "new_pc": True,
        "sdp": "v=0",
        "tracks": [{"participant": "bob", "kind": "video", "mid": "1", "track_id": "bob:video"}],
    }
    assert TrackRemoved(track).to_wire() == {
        "type": "track_removed",
        "participant": "bob",
        "kind": "video",
        "mid": "1",
        "track_id": "bob:video",
    }
    assert TrackAdded(track).to_wire()["type"] == "track_added"
    assert LinkQualityChanged(weak=False, loss=0.01).to_wire() == {
        "type": "link_quality",
        "weak": False,
        "loss": 0.01,
    }
    assert LinkQualityChanged(True, 0.2, 300, "audio_only").to_wire() == {
        "type": "link_quality",
        "weak": True,
        "loss": 0.2,
        "estimate_kbps": 300,
        "suggest": "audio_only",
    }
    assert Removed("bob", by="ann").to_wire() == {
        "type": "removed",
        "participant": "bob",
        "by": "ann",
    }
    assert Recording(True, "rec/r").to_wire() == {"type": "recording", "on": True, "path": "rec/r"}
    assert Recording(False, "rec/r", ("a.webm",)).to_wire()["files"] == ["a.webm"]


def test_worker_calls_round_trip_and_malformed_ones_are_refused() -> None:
    request = RpcRequest("r1", "web-1", "room-1", "ann", {"type": "join"})
    assert RpcRequest.from_json(request.to_json()) == request
    for raw in ("[]", "not json", '{"id": "r1", "node": "web-1", "room": "room-1"}'):
        with pytest.raises(ValueError):
            RpcRequest.from_json(raw)
    ok = RpcReply.from_json(RpcReply("r1", reply={"type": "ok"}).to_json())
    assert (ok.id, ok.reply, ok.error) == ("r1", {"type": "ok"}, None)
    failed = RpcReply.from_json(RpcReply("r2", error=BadMessage("no")).to_json())
    assert failed.error is not None
    assert (failed.error.code, failed.error.message) == ("bad_message", "no")
    with pytest.raises(ValueError):
        RpcReply.from_json('{"id": "r3", "ok": true}')
