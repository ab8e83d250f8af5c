"""Render slides to accessible HTML fragments and to the live channel's payload."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from imr_live.curriculum.models import RolePlay, Slide

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def _environment() -> Environment:
    """The jinja2 environment; autoescaping is on so script text can never inject markup."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def dom_id(slide_id: str) -> str:
    """An HTML id for a slide id (``a/1/b`` -> ``slide-a--1--b``)."""
    return "slide-" + re.sub(r"[^a-z0-9-]", "--", slide_id.lower().replace("/", "--"))


def render_slide_html(slide: Slide) -> str:
    """A self-contained, accessible <section> for the slide: large type, no scripts."""
    template = _environment().get_template("slide.html.j2")
    return template.render(slide=slide, dom_id=dom_id(slide.id))


def slide_payload(slide: Slide) -> dict[str, Any]:
    """What the live channel broadcasts when a slide is shown: id, text and html."""
    return {
        "id": slide.id,
        "title": slide.title,
        "points": list(slide.points),
        "questions": list(slide.questions),
        "words": [{"term": w.term, "means": w.means} for w in slide.words],
        "html": render_slide_html(slide),
    }


def role_play_payload(role_play: RolePlay) -> dict[str, Any]:
    """What the live channel broadcasts when a role play starts: scenario, roles, steps."""
    return {
        "id": role_play.id,
        "title": role_play.title,
        "scenario": role_play.scenario,
        "roles": [{"name": r.name, "description": r.description} for r in role_play.roles],
        "skill_steps": list(role_play.skill_steps),
        "steps": [{"kind": s.kind, "text": s.text} for s in role_play.steps],
    }


def slide_stylesheet() -> str:
    """The CSS for the classes slide HTML uses (large type, high contrast, focus ring)."""
    return (TEMPLATES / "slide.css").read_text(encoding="utf-8")
