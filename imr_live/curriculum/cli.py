"""``imr-live scripts list|show|check``: read the session scripts from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from imr_live.curriculum.curriculum import Curriculum
from imr_live.curriculum.loader import DEFAULT_SCRIPTS_DIR, load_curriculum
from imr_live.curriculum.models import Module, RolePlay, ScriptSession, Slide
from imr_live.curriculum.problems import CurriculumInvalid
from imr_live.errors import NotFound


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``scripts`` command and its ``list``, ``show`` and ``check`` sub-commands."""
    scripts = subparsers.add_parser("scripts", help="list, show and check session scripts")
    commands = scripts.add_subparsers(dest="scripts_command", required=True)
    listing = commands.add_parser("list", help="modules, sessions, variants and plans")
    listing.set_defaults(func=list_scripts)
    show = commands.add_parser("show", help="one session, module, slide, role play or plan")
    show.add_argument("ref", help="e.g. recovery-strategies/1 or simplified/coping-with-stress/2")
    show.set_defaults(func=show_script)
    check = commands.add_parser("check", help="validate every file and list all problems")
    check.set_defaults(func=check_scripts)
    for parser in (listing, show, check):
        parser.add_argument("--dir", type=Path, default=DEFAULT_SCRIPTS_DIR, help="script root")


def check_scripts(args: argparse.Namespace) -> int:
    """Print every problem as ``file:line: field: expected ...``; 1 if there are any."""
    try:
        curriculum = load_curriculum(args.dir)
    except CurriculumInvalid as error:
        for problem in error.problems:
            print(problem)
        print(f"{len(error.problems)} problem(s) found in {args.dir}", file=sys.stderr)
        return 1
    counts = {
        "modules": len(curriculum.modules),
        "variants": len(curriculum.variants),
        "plans": len(curriculum.plans),
        "sessions": len(curriculum.session_refs),
        "slides": len(curriculum.slides),
    }
    print("OK: " + ", ".join(f"{n} {name}" for name, n in counts.items()))
    return 0


def list_scripts(args: argparse.Namespace) -> int:
    """Print the modules with their session refs, then variants, plans and relaxation."""
    curriculum = _load(args.dir)
    if curriculum is None:
        return 1
    for module in curriculum.modules:
        _print_module(module)
    for variant in curriculum.variants:
        print(f"\nVariant {variant.id} ({variant.kind}): {variant.title}")
        for module in variant.modules:
            _print_module(module)
    print("\nPlans:")
    for plan in curriculum.plans:
        print(f"  {plan.id:32} {plan.format:10} {len(plan.session_refs)} sessions  {plan.title}")
    print("\nRelaxation (can open any session):")
    for exercise in curriculum.relaxations:
        print(f"  {exercise.id:32} {exercise.title}")
    return 0


def show_script(args: argparse.Namespace) -> int:
    """Print one session (or module, slide, role play, plan) in readable text."""
    curriculum = _load(args.dir)
    if curriculum is None:
        return 1
    shows = (_session_lines, _module_lines, _variant_lines, _slide_lines, _role_play_lines)
    for lines in (*shows, _plan_lines):
        try:
            print("\n".join(lines(curriculum, args.ref)))
            return 0
        except NotFound:
            continue
    print(f"nothing named '{args.ref}'; try `imr-live scripts list`", file=sys.stderr)
    return 1


def _load(root: Path) -> Curriculum | None:
    """The curriculum, or None after printing why it could not load."""
    try:
        return load_curriculum(root)
    except CurriculumInvalid as error:
        print(error.message, file=sys.stderr)
        return None


def _print_module(module: Module) -> None:
    """A module heading and one line per session."""
    print(f"{module.number:>2}. {module.title} [{module.id}]")
    for session in module.sessions:
        print(f"      {session.ref:48} {session.minutes:>3} min  {session.title}")


def _session_lines(curriculum: Curriculum, ref: str) -> list[str]:
    """A session: agenda, slides, practice, home practice, summary, leader notes."""
    session: ScriptSession = curriculum.session(ref)
    lines = [f"{session.title} [{session.ref}] - {session.minutes} minutes"]
    lines += _review_lines(curriculum.module(session.module_id))
    lines += ["", "Agenda:"]
    lines += [f"  - {step.kind}: {step.text}" for step in session.agenda]
    for slide in session.slides:
        lines += ["", *_slide_lines(curriculum, slide.id)]
    for role_play in session.role_plays:
        lines += ["", *_role_play_lines(curriculum, role_play.id)]
    for exercise in session.exercises:
        lines += ["", f"Exercise: {exercise.title} [{exercise.id}]"]
        lines += [f"  {i}. {text}" for i, text in enumerate(exercise.instructions, 1)]
    lines += [
        "",
        f"Home practice [{session.home_assignment.id}]:",
        f"  {session.home_assignment.text}",
    ]
    lines += ["", "Summary:", *[f"  - {s}" for s in session.summary]]
    lines += ["", "Leader notes:", *[f"  - {n}" for n in session.leader_notes]]
    return lines


def _module_lines(curriculum: Curriculum, module_id: str) -> list[str]:
    """A module's summary and sessions."""
    module = curriculum.module(module_id)
    lines = [f"{module.title} [{module.id}]", f"  {module.summary}", *_review_lines(module)]
    return lines + [f"  {s.ref}: {s.title} ({s.minutes} min)" for s in module.sessions]


def _variant_lines(curriculum: Curriculum, variant_id: str) -> list[str]:
    """A variant's kind, description, leader guidelines and modules."""
    variant = curriculum.variant(variant_id)
    lines = [
        f"Variant: {variant.title} [{variant.id}] - {variant.kind}",
        f"  {variant.description}",
    ]
    lines += [
        f"  Reading level: grade {variant.reading_grade_max:g} or below",
        f"  Activities per session: at least {variant.activities_per_session}",
    ]
    if variant.leader_guidelines:
        lines += ["", "Leader guidelines:", *[f"  - {g}" for g in variant.leader_guidelines]]
    lines += ["", "Modules:"]
    for module in variant.modules:
        pending = any(review.pending for review in module.reviews)
        status = "review pending" if pending else "reviewed"
        lines.append(f"  {module.id} ({len(module.sessions)} sessions, {status})")
    return lines


def _review_lines(module: Module) -> list[str]:
    """Who reviewed the module's clinical content and when, or that it is pending."""
    return [f"  {review.describe()}" for review in module.reviews]


def _slide_lines(curriculum: Curriculum, slide_id: str) -> list[str]:
    """A slide's title, points and questions."""
    slide: Slide = curriculum.slide(slide_id)
    lines = [f"Slide: {slide.title} [{slide.id}]", *[f"  * {p}" for p in slide.points]]
    lines += [f"  ? {q}" for q in slide.questions]
    return lines + [f"  Word to know - {w.term}: {w.means}" for w in slide.words]


def _role_play_lines(curriculum: Curriculum, role_play_id: str) -> list[str]:
    """A role play's scenario, roles, skill steps and training steps."""
    role_play: RolePlay = curriculum.role_play(role_play_id)
    lines = [f"Role play: {role_play.title} [{role_play.id}]", f"  Scenario: {role_play.scenario}"]
    lines += [f"  Role {role.name}: {role.description}" for role in role_play.roles]
    lines += [f"  Skill step {i}: {s}" for i, s in enumerate(role_play.skill_steps, 1)]
    return lines + [f"  {step.kind}: {step.text}" for step in role_play.steps]


def _plan_lines(curriculum: Curriculum, plan_id: str) -> list[str]:
    """A plan's format, variant, module order and enrollment."""
    plan = curriculum.plan(plan_id)
    lines = [f"Plan: {plan.title} [{plan.id}] - {plan.format}", f"  {plan.description}"]
    lines += [f"  Variant: {plan.variant or 'core'}", f"  Open enrollment: {plan.open_enrollment}"]
    return lines + [f"  {i}. {m}" for i, m in enumerate(plan.module_ids, 1)]
