"""Plans set formats and module order; open enrollment starts newcomers with Recovery Strategies."""

from __future__ import annotations

import pytest

from imr_live.curriculum import Curriculum, Plan
from imr_live.errors import Conflict, InvalidInput, NotFound


def open_group(curriculum: Curriculum) -> Plan:
    """The shipped open-enrollment group plan."""
    return curriculum.plan("group-open-enrollment")


def test_a_plan_runs_its_modules_sessions_in_order(curriculum: Curriculum) -> None:
    plan = curriculum.plan("individual-standard")
    expected = [s.ref for m in curriculum.modules for s in m.sessions]
    assert plan.format == "individual"
    assert plan.session_refs == expected


def test_a_newcomer_starts_with_recovery_strategies(curriculum: Curriculum) -> None:
    plan = open_group(curriculum)
    assert plan.next_module_for_new_member("coping-with-stress") == "recovery-strategies"


def test_a_newcomer_then_joins_at_the_groups_current_module(curriculum: Curriculum) -> None:
    plan = open_group(curriculum)
    enrollment = plan.enrollment_for_new_member("coping-with-stress")
    assert enrollment.entry_refs == [
        s.ref for s in curriculum.module("recovery-strategies").sessions
    ]
    assert enrollment.join_module == "coping-with-stress"
    assert enrollment.module_order[0] == "coping-with-stress"
    assert "recovery-strategies" not in enrollment.module_order
    assert sorted(enrollment.module_order) == sorted(set(plan.module_ids) - {"recovery-strategies"})


def test_a_newcomer_joins_at_once_when_the_group_is_in_recovery_strategies(
    curriculum: Curriculum,
) -> None:
    plan = open_group(curriculum)
    assert plan.next_module_for_new_member("recovery-strategies") == "recovery-strategies"
    assert plan.enrollment_for_new_member("recovery-strategies").entry_refs == []


def test_a_closed_plan_takes_no_newcomers_mid_course(curriculum: Curriculum) -> None:
    with pytest.raises(Conflict):
        curriculum.plan("individual-standard").next_module_for_new_member("coping-with-stress")


def test_an_unknown_current_module_is_not_found(curriculum: Curriculum) -> None:
    with pytest.raises(NotFound):
        open_group(curriculum).next_module_for_new_member("no-such-module")


def test_a_group_can_change_the_module_order(curriculum: Curriculum) -> None:
    order = ["recovery-strategies", "coping-with-stress", "practical-facts"]
    custom = open_group(curriculum).with_module_order(order, curriculum, plan_id="tuesday-group")
    assert (custom.id, custom.module_ids) == ("tuesday-group", order)
    assert custom.session_refs[-1].startswith("practical-facts/")


def test_a_custom_order_must_name_existing_modules_once(curriculum: Curriculum) -> None:
    plan = curriculum.plan("individual-standard")
    with pytest.raises(NotFound):
        plan.with_module_order(["recovery-strategies", "no-such-module"], curriculum)
    with pytest.raises(InvalidInput):
        plan.with_module_order(["coping-with-stress", "coping-with-stress"], curriculum)
    with pytest.raises(InvalidInput):
        plan.with_module_order([], curriculum)


def test_an_open_group_must_keep_its_entry_module(curriculum: Curriculum) -> None:
    with pytest.raises(InvalidInput):
        open_group(curriculum).with_module_order(["coping-with-stress"], curriculum)


def test_a_simplified_plan_runs_simplified_sessions(curriculum: Curriculum) -> None:
    plan = curriculum.plan("group-simplified")
    assert all(ref.startswith("simplified/") for ref in plan.session_refs)
    reordered = plan.with_module_order(["recovery-strategies", "healthy-lifestyles"], curriculum)
    assert reordered.session_refs[-1].startswith("simplified/healthy-lifestyles/")
