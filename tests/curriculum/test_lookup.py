"""The live channel finds sessions, slides and role plays by stable refs and ids."""

from __future__ import annotations

import pytest

from imr_live.curriculum import Curriculum
from imr_live.errors import NotFound


def test_a_session_is_found_by_module_and_number(curriculum: Curriculum) -> None:
    session = curriculum.session("recovery-strategies/1")
    assert (session.ref, session.module_id, session.number) == (
        "recovery-strategies/1",
        "recovery-strategies",
        1,
    )
    assert session.minutes > 0 and session.title


def test_slide_ids_are_the_session_ref_and_the_key(curriculum: Curriculum) -> None:
    slide = curriculum.slide("recovery-strategies/1/what-is-recovery")
    assert slide.session_ref == "recovery-strategies/1"
    assert slide.source.startswith("modules/recovery-strategies.yaml:")


def test_every_slide_and_role_play_id_is_unique(curriculum: Curriculum) -> None:
    seen: dict[str, object] = {}
    for ref in curriculum.session_refs:
        session = curriculum.session(ref)
        for item in [*session.slides, *session.role_plays, *session.exercises]:
            assert seen.setdefault(item.id, item) == item, item.id


def test_unknown_refs_are_not_found(curriculum: Curriculum) -> None:
    for lookup in (curriculum.session, curriculum.slide, curriculum.role_play, curriculum.module):
        with pytest.raises(NotFound):
            lookup("no-such/1")


def test_variant_sessions_have_their_own_refs(curriculum: Curriculum) -> None:
    session = curriculum.session("simplified/recovery-strategies/1")
    assert session.variant == "simplified"
    assert session.module_id == "simplified/recovery-strategies"
    assert curriculum.module("simplified/recovery-strategies").key == "recovery-strategies"
