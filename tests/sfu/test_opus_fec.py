"""Opus in-band FEC is asked of every publisher.

A browser's Opus encoder adds forward error correction (LBRR: a low-bitrate copy
of the previous frame) only when the other side's description says
``useinbandfec=1``. The SFU forwards Opus unchanged, so the repair data reaches
each subscriber, whose decoder rebuilds a lost frame from the next one. That is
what keeps a voice understandable on a lossy rural link, where video gives up first.
(Receivers decode FEC whatever their own description says, so subscribers are offered
plain Opus.)
"""

from __future__ import annotations

import re

from tests.sfu.conftest import Harness, eventually

OPUS_FMTP = re.compile(r"a=rtpmap:(\d+) opus/48000/2\r?\n(?:a=.*\r?\n)*?a=fmtp:\1 (\S+)")


def opus_parameters(sdp: str) -> dict[str, str]:
    found = OPUS_FMTP.search(sdp)
    assert found is not None, "no Opus fmtp line"
    return dict(p.split("=", 1) for p in found.group(2).split(";"))


async def test_publishers_are_asked_for_fec_and_their_voices_still_reach_everyone(
    harness: Harness,
) -> None:
    ann = await harness.joined("ann", None)
    bob = await harness.joined("bob", None)

    for peer in (ann, bob):
        assert opus_parameters(peer.publish_answer) == {"minptime": "10", "useinbandfec": "1"}
    await eventually(lambda: bob.audio_frames["ann"] > 10, what="bob hears ann")
    await eventually(lambda: ann.audio_frames["bob"] > 10, what="ann hears bob")
