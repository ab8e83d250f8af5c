"""Sessions placed in the curriculum: by its scripts, and by the ref scheme for refs it lacks."""

from __future__ import annotations

from imr_live.curriculum import load_curriculum
from imr_live.reports.modules import NO_MODULE, Place, module_of, module_title, place_of

CURRICULUM = load_curriculum()


def test_a_known_ref_is_placed_by_its_script() -> None:
    assert place_of("simplified/coping-with-stress/2", CURRICULUM) == Place(
        "simplified", "coping-with-stress", 2
    )
    assert place_of("targeted/relapse/1", CURRICULUM) == Place("targeted", "relapse", 1)
    assert module_of("coping-with-stress/3", CURRICULUM) == "coping-with-stress"
    assert module_title("simplified/coping-with-stress", CURRICULUM) == (
        "Feeling Stressed (Simplified IMR)"
    )


def test_a_ref_the_curriculum_lacks_is_placed_by_the_scheme() -> None:
    # A variant added after this process loaded its scripts, or a script since removed.
    assert place_of("e-imr/coping-with-stress/2", CURRICULUM) == Place(
        "e-imr", "coping-with-stress", 2
    )
    assert module_of("old-module/4") == "old-module"
    assert module_of(None) == NO_MODULE
    assert module_title("e-imr/coping-with-stress", CURRICULUM) == "Coping with stress"
