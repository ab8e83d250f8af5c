"""A weak link is called weak at once and good again only after a calm spell."""

from __future__ import annotations

from sfu.link_quality import LinkQuality


def test_loss_hovering_at_the_threshold_does_not_flip_the_verdict() -> None:
    link = LinkQuality(threshold=0.1, clear_s=5.0)
    assert not link.update(0.05, audio_only=False, now=0.0) and not link.weak
    assert link.update(0.2, audio_only=False, now=1.0) and link.weak
    for t, loss in ((2.0, 0.04), (3.0, 0.08), (4.0, 0.04), (8.0, 0.04)):
        assert not link.update(loss, audio_only=False, now=t), f"still weak at {t} s"
    assert link.update(0.04, audio_only=False, now=9.0) and not link.weak


def test_audio_only_clears_a_weak_link_at_once() -> None:
    link = LinkQuality(threshold=0.1, clear_s=5.0)
    link.update(0.3, audio_only=False, now=0.0)
    assert link.update(0.3, audio_only=True, now=1.0) and not link.weak
