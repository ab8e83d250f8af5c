"""Which layers a publisher is told to pause, step by step on a made-up clock."""

from __future__ import annotations

from typing import Any

from sfu.layer_pause import PAUSE_AFTER_S, LayerPause

RATES = (100_000.0, 300_000.0, 800_000.0)


class _Leg:
    def __init__(self, layer: int, target: int | None = None, paused: bool = False) -> None:
        self.layer, self.target_layer, self.paused = (
            layer,
            layer if target is None else target,
            paused,
        )


def test_a_layer_nobody_receives_is_paused_after_a_while_and_back_at_once_when_needed() -> None:
    pause = LayerPause()
    legs: Any = (_Leg(2), _Leg(0))
    assert not pause.update(RATES, legs, 0)
    assert not pause.update(RATES, legs, PAUSE_AFTER_S - 1), "a probe's second is no reason"
    assert pause.update(RATES, legs, PAUSE_AFTER_S) and pause.paused == {1}
    # The last receiver of the low layer goes.
    assert not pause.update(RATES, (_Leg(2),), PAUSE_AFTER_S + 1)
    assert pause.update(RATES, (_Leg(2),), 2 * PAUSE_AFTER_S + 1) and pause.paused == {0, 1}
    # Someone needs the low layer (still waiting for its keyframe): asked for at once.
    assert pause.update(RATES, (_Leg(2), _Leg(2, target=0)), 2 * PAUSE_AFTER_S + 2)
    assert pause.paused == {1}


def test_never_measured_layers_and_an_empty_room_change_nothing() -> None:
    pause = LayerPause()
    one_layer = (0.0, 0.0, 800_000.0)  # a browser sending only its top layer (1:1)
    for t in range(10):
        assert not pause.update(one_layer, (_Leg(2),), t)
    assert not pause.update(RATES, (_Leg(2, paused=True),), 20), "no leg flows: keep as told"
    assert pause.paused == frozenset()
