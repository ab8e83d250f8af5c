"""Turn schema-valid files into the resolved Curriculum, checking ids and references.

Two passes: first every inline item (slide, role play, exercise, assignment) is
given its global id and registered, so a ``use:`` may point anywhere; then
sessions, modules, variants and plans are built and every reference resolved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import NamedTuple, TypeVar

from imr_live.curriculum.curriculum import Curriculum
from imr_live.curriculum.glossary import Glossary
from imr_live.curriculum.goals import GoalEntry, GoalWorksheet, ShortTermGoal
from imr_live.curriculum.models import (
    FLOWS,
    STEP_ORDER,
    AgendaKind,
    AgendaStep,
    Exercise,
    GlossaryTerm,
    HomeAssignment,
    Module,
    Poll,
    Review,
    RolePlay,
    RolePlayRole,
    RolePlayStep,
    ScriptSession,
    Slide,
    Variant,
)
from imr_live.curriculum.plans import ENTRY_MODULE, Plan, build_plan
from imr_live.curriculum.problems import Problem
from imr_live.curriculum.schema import (
    AdditionFile,
    AgendaStepFile,
    ExerciseFile,
    HomePracticeFile,
    ModuleFile,
    PlanFile,
    ReviewFile,
    RolePlayFile,
    SessionFile,
    SlideFile,
    TemplateFile,
    UseRef,
)
from imr_live.curriculum.script_files import Parsed, ScriptFiles, VariantFiles
from imr_live.curriculum.yaml_source import Path_, SourceFile

Item = Slide | RolePlay | Exercise | HomeAssignment
ItemT = TypeVar("ItemT", Slide, RolePlay, Exercise)
Entry = SlideFile | RolePlayFile | ExerciseFile | UseRef
NOUNS = {Slide: "slide", RolePlay: "role play", Exercise: "exercise", HomeAssignment: "assignment"}
RESERVED_IDS = {"relaxation"}


class Parts(NamedTuple):
    """What a session shows, for attaching to its agenda steps."""

    slides: list[Slide]
    role_plays: list[RolePlay]
    exercises: list[Exercise]
    home: HomeAssignment
    opening: Exercise | None


class Assembly:
    """One run of cross-file resolution; ``problems`` collects everything found."""

    def __init__(self, files: ScriptFiles) -> None:
        self.files = files
        self.problems: list[Problem] = []
        self.items: dict[str, Item] = {}
        self.where: dict[str, str] = {}
        self.standard = {s.kind: s for s in files.agenda.file.steps}
        self.glossary = _glossary(files)
        self.templates = {t.file.id: t.file for t in files.templates}

    def run(self) -> Curriculum | None:
        """The curriculum, or None when problems were found."""
        self._register_all()
        core = [self._module(p, None) for p in sorted(self.files.modules, key=_number)]
        self._check_numbers(self.files.modules)
        variants = [self._variant(v, core) for v in self.files.variants]
        plans = [p for p in (self._plan(p, core, variants) for p in self.files.plans) if p]
        if self.problems:
            return None
        relaxations = [
            i for i in self.items.values() if isinstance(i, Exercise) and not i.session_ref
        ]
        opening_text = str(self.standard["relaxation"].text)
        return Curriculum(
            core, variants, plans, relaxations, opening_text, self.files.root, self.glossary
        )

    # -- pass 1: ids ---------------------------------------------------------

    def _register_all(self) -> None:
        """Give every inline item its global id; duplicates are problems."""
        relax = self.files.relaxation
        for i, ex in enumerate(relax.file.exercises):
            self._add(relax.source, ("exercises", i, "key"), _exercise(ex, "relaxation", None))
        for parsed in self.files.modules:
            self._register_module(parsed, "")
        for vf in self.files.variants:
            prefix = f"{vf.variant.file.id}/"
            for parsed in vf.modules:
                self._register_module(parsed, prefix)
            for add in vf.additions:
                for i, a in enumerate(add.file.additions):
                    ref = f"{prefix}{add.file.module}/{a.session}"
                    self._register_section(add.source, ("additions", i), a, ref)

    def _register_module(self, parsed: Parsed[ModuleFile], prefix: str) -> None:
        """Register the items of every session of a module file."""
        for i, session in enumerate(parsed.file.sessions):
            ref = f"{prefix}{parsed.file.id}/{session.number}"
            self._register_section(parsed.source, ("sessions", i), session, ref)

    def _register_section(
        self, source: SourceFile, path: Path_, part: SessionFile | AdditionFile, ref: str
    ) -> None:
        """Register a session's (or an addition's) inline items under ``ref``."""
        for i, slide in enumerate(part.slides):
            if isinstance(slide, SlideFile):
                where = (*path, "slides", i)
                located = f"{source.name}:{source.line_of(where)}"
                made = _slide(slide, ref, located)
                words = self.glossary.terms_in(
                    " ".join([made.title, *made.points, *made.questions])
                )
                self._add(source, (*where, "key"), replace(made, words=words))
        for i, rp in enumerate(part.role_plays):
            if isinstance(rp, RolePlayFile):
                self._add(source, (*path, "role_plays", i, "key"), _role_play(rp, ref))
        for i, ex in enumerate(part.exercises):
            if isinstance(ex, ExerciseFile):
                self._add(source, (*path, "exercises", i, "key"), _exercise(ex, ref, ref))
        if part.home_practice is not None:
            home = _home(part.home_practice, ref)
            self._add(source, (*path, "home_practice", "key"), home)

    def _add(self, source: SourceFile, path: Path_, item: Item) -> None:
        """Register one item, or report that its id is taken."""
        problem = source.problem(path, "")
        if item.id in self.items:
            message = f"duplicate id '{item.id}' (first defined at {self.where[item.id]})"
            self.problems.append(replace(problem, message=message))
            return
        self.items[item.id] = item
        self.where[item.id] = f"{problem.file}:{problem.line}"

    # -- pass 2: sessions and modules -----------------------------------------

    def _module(self, parsed: Parsed[ModuleFile], variant: str | None) -> Module:
        """A resolved module; ``variant`` prefixes its id and refs."""
        file, source = parsed.file, parsed.source
        module_id = f"{variant}/{file.id}" if variant else file.id
        sheet = _worksheet(file, module_id)
        sessions = [
            self._session(source, ("sessions", i), s, f"{module_id}/{s.number}", variant)
            for i, s in enumerate(file.sessions)
        ]
        sessions = [
            replace(s, goal_worksheet=sheet) if sheet and s.ref in sheet.session_refs else s
            for s in sessions
        ]
        self._check_template(parsed)
        return Module(
            module_id,
            file.id,
            file.number,
            file.title,
            file.summary,
            sessions,
            variant,
            sheet,
            [_review(file.review, "module")],
            file.template,
        )

    def _check_template(self, parsed: Parsed[ModuleFile]) -> None:
        """A module built on a template has each of the template's sections where it says."""
        file, source = parsed.file, parsed.source
        if file.template is None:
            return
        template = self.templates.get(file.template)
        if template is None:
            known = ", ".join(self.templates) or "none"
            message = f"no template '{file.template}'; expected one of: {known}"
            self.problems.append(source.problem(("template",), message))
            return
        for missing in _missing_sections(template, file):
            self.problems.append(source.problem(("sessions",), missing))

    def _session(
        self, source: SourceFile, path: Path_, file: SessionFile, ref: str, variant: str | None
    ) -> ScriptSession:
        """A resolved session: items looked up, agenda steps filled in."""
        parts = Parts(
            self._resolve(source, (*path, "slides"), file.slides, ref, Slide),
            self._resolve(source, (*path, "role_plays"), file.role_plays, ref, RolePlay),
            self._resolve(source, (*path, "exercises"), file.exercises, ref, Exercise),
            _home(file.home_practice, ref),
            self._opening(source, (*path, "opening"), file.opening),
        )
        entries: list[AgendaKind | AgendaStepFile] = list(file.agenda or FLOWS[file.flow])
        if parts.opening and _kind(entries[0]) != "relaxation":
            entries.insert(0, "relaxation")
        agenda = [self._step(e, parts) for e in entries]
        return ScriptSession(
            ref=ref,
            module_id=ref.rsplit("/", 1)[0],
            number=file.number,
            title=file.title,
            minutes=file.minutes,
            agenda=agenda,
            slides=parts.slides,
            role_plays=parts.role_plays,
            exercises=parts.exercises,
            home_assignment=parts.home,
            summary=list(file.summary),
            leader_notes=list(file.leader_notes),
            variant=variant,
            flow=file.flow,
            polls=self._polls(source, path, file, ref),
        )

    def _polls(self, source: SourceFile, path: Path_, file: SessionFile, ref: str) -> list[Poll]:
        """The session's polls; a key must not repeat any other item's of the session."""
        polls: list[Poll] = []
        for i, p in enumerate(file.polls):
            poll = Poll(f"{ref}/{p.key}", p.question, p.options, p.multiple)
            if poll.id in self.items or poll.id in {q.id for q in polls}:
                message = f"duplicate id '{poll.id}'"
                self.problems.append(source.problem((*path, "polls", i, "key"), message))
            polls.append(poll)
        return polls

    def _resolve(
        self,
        source: SourceFile,
        path: Path_,
        entries: Sequence[Entry],
        ref: str,
        kind: type[ItemT],
    ) -> list[ItemT]:
        """Look up inline items and ``use:`` references; bad references are problems."""
        found: list[ItemT] = []
        for i, entry in enumerate(entries):
            is_use = isinstance(entry, UseRef)
            item_id = entry.use if isinstance(entry, UseRef) else f"{ref}/{entry.key}"
            item = self.items.get(item_id)
            if isinstance(item, kind):
                found.append(item)
            elif is_use:
                message = _bad_reference(item_id, item, kind)
                self.problems.append(source.problem((*path, i, "use"), message))
        return found

    def _opening(self, source: SourceFile, path: Path_, opening: str | None) -> Exercise | None:
        """The relaxation exercise that opens a session, if one is named."""
        if opening is None:
            return None
        item = self.items.get(opening)
        if isinstance(item, Exercise) and item.session_ref is None:
            return item
        message = f"no relaxation exercise '{opening}'; expected an id like relaxation/<key>"
        self.problems.append(source.problem(path, message))
        return None

    def _step(self, entry: AgendaKind | AgendaStepFile, parts: Parts) -> AgendaStep:
        """One agenda step, with default text and minutes from agenda.yaml."""
        kind = _kind(entry)
        standard = self.standard[kind]
        text = (entry.text if isinstance(entry, AgendaStepFile) else None) or standard.text
        minutes = (entry.minutes if isinstance(entry, AgendaStepFile) else None) or standard.minutes
        return _attach(kind, str(text), minutes, parts)

    def _check_numbers(self, modules: Sequence[Parsed[ModuleFile]]) -> None:
        """Module numbers set the default order, so each is used once."""
        seen: dict[int, str] = {}
        for parsed in modules:
            number = parsed.file.number
            if number in seen:
                message = f"number {number} is already used by module '{seen[number]}'"
                self.problems.append(parsed.source.problem(("number",), message))
            seen.setdefault(number, parsed.file.id)

    # -- variants ----------------------------------------------------------

    def _variant(self, vf: VariantFiles, core: list[Module]) -> Variant:
        """A resolved variant: additions merged into the core, or its own modules."""
        file, source = vf.variant.file, vf.variant.source
        if file.id in RESERVED_IDS or file.id in {m.key for m in core}:
            self.problems.append(source.problem(("id",), "expected an id no module uses"))
        self._check_follows(vf)
        if file.kind == "additions":
            modules = self._with_own_modules(vf, self._additions(vf, core))
        elif file.kind == "adapted":
            modules = self._adapted(vf, core)
        else:
            self._check_numbers(vf.modules)
            ordered = sorted(vf.modules, key=_number)
            modules = [self._module(p, file.id) for p in ordered]
        self._check_activities(vf, modules)
        return Variant(
            file.id,
            file.title,
            file.kind,
            file.description,
            file.reading_grade_max,
            modules,
            list(file.leader_guidelines),
            file.activities_per_session,
        )

    def _check_follows(self, vf: VariantFiles) -> None:
        """Only an additions variant places its own modules after a core module."""
        if vf.variant.file.kind == "additions":
            return
        for parsed in vf.modules:
            if parsed.file.follows is not None:
                message = "follows: only applies to modules of an additions variant"
                self.problems.append(parsed.source.problem(("follows",), message))

    def _with_own_modules(self, vf: VariantFiles, merged: list[Module]) -> list[Module]:
        """The core modules with the variant's own modules placed after the one each follows."""
        self._check_numbers(vf.modules)
        keys = [m.key for m in merged]
        ordered = list(merged)
        for parsed in sorted(vf.modules, key=_number):
            module = self._module(parsed, vf.variant.file.id)
            follows = parsed.file.follows
            if module.key in keys:
                message = (
                    f"'{module.key}' is already a module here; add to a core module with additions"
                )
                self.problems.append(parsed.source.problem(("id",), message))
                continue
            if follows is not None and follows not in keys:
                message = f"no module '{follows}' to follow; expected one of: {', '.join(keys)}"
                self.problems.append(parsed.source.problem(("follows",), message))
            # A module with a bad ``follows`` still joins (at the end) so plans
            # naming it do not add a second, derived problem.
            at = keys.index(follows) + 1 if follows is not None and follows in keys else len(keys)
            keys.insert(at, module.key)
            ordered.insert(at, module)
        return ordered

    def _check_activities(self, vf: VariantFiles, modules: list[Module]) -> None:
        """Each session of the variant has as many role plays and exercises as it asks for."""
        needed = vf.variant.file.activities_per_session
        for module in modules:
            for session in module.sessions:
                found = len(session.role_plays) + len(session.exercises)
                if found < needed:
                    message = (
                        f"{session.ref} has {found} role plays and exercises;"
                        f" this variant expects at least {needed} per session"
                    )
                    self.problems.append(
                        vf.variant.source.problem(("activities_per_session",), message)
                    )

    def _adapted(self, vf: VariantFiles, core: list[Module]) -> list[Module]:
        """An adapted variant rewrites every core module, in core order."""
        own = {p.file.id: p for p in vf.modules}
        keys = {m.key for m in core}
        for parsed in vf.modules:
            if parsed.file.id not in keys:
                message = f"no core module '{parsed.file.id}' to adapt"
                self.problems.append(parsed.source.problem(("id",), message))
        for module in core:
            if module.key not in own:
                message = f"expected an adapted module for '{module.key}' ({module.key}.yaml)"
                self.problems.append(vf.variant.source.problem(("kind",), message))
        variant = vf.variant.file.id
        return [self._module(own[m.key], variant) for m in core if m.key in own]

    def _additions(self, vf: VariantFiles, core: list[Module]) -> list[Module]:
        """Every core module, with this variant's additions merged into its sessions."""
        variant = vf.variant.file.id
        extra = self._addition_index(vf, core)
        reviews = {
            p.file.module: _review(p.file.review, f"{variant} additions") for p in vf.additions
        }
        return [
            replace(
                m,
                id=f"{variant}/{m.key}",
                variant=variant,
                sessions=[self._merged(variant, s, extra.get(s.ref)) for s in m.sessions],
                reviews=m.reviews + ([reviews[m.key]] if m.key in reviews else []),
            )
            for m in core
        ]

    def _addition_index(
        self, vf: VariantFiles, core: list[Module]
    ) -> dict[str, tuple[SourceFile, Path_, AdditionFile]]:
        """Additions by the core session ref they extend; bad targets are problems."""
        refs = {s.ref for m in core for s in m.sessions}
        index: dict[str, tuple[SourceFile, Path_, AdditionFile]] = {}
        for parsed in vf.additions:
            for i, addition in enumerate(parsed.file.additions):
                ref = f"{parsed.file.module}/{addition.session}"
                if ref not in refs:
                    message = f"no core session '{ref}' to add to"
                    self.problems.append(
                        parsed.source.problem(("additions", i, "session"), message)
                    )
                elif ref in index:
                    message = f"session {addition.session} already has additions"
                    self.problems.append(
                        parsed.source.problem(("additions", i, "session"), message)
                    )
                index.setdefault(ref, (parsed.source, ("additions", i), addition))
        return index

    def _merged(
        self,
        variant: str,
        core: ScriptSession,
        extra: tuple[SourceFile, Path_, AdditionFile] | None,
    ) -> ScriptSession:
        """A core session under the variant's ref, with its additions appended."""
        ref = f"{variant}/{core.ref}"
        base = replace(core, ref=ref, module_id=f"{variant}/{core.module_id}", variant=variant)
        if extra is None:
            return base
        source, path, add = extra
        opening_ids = [i for s in core.agenda if s.kind == "relaxation" for i in s.exercise_ids]
        opening = self.items.get(opening_ids[0]) if opening_ids else None
        resolve = self._resolve
        parts = Parts(
            core.slides + resolve(source, (*path, "slides"), add.slides, ref, Slide),
            core.role_plays + resolve(source, (*path, "role_plays"), add.role_plays, ref, RolePlay),
            core.exercises + resolve(source, (*path, "exercises"), add.exercises, ref, Exercise),
            _home(add.home_practice, ref) if add.home_practice else core.home_assignment,
            opening if isinstance(opening, Exercise) else None,
        )
        agenda = [_attach(s.kind, s.text, s.minutes, parts) for s in core.agenda]
        return replace(
            base,
            agenda=agenda,
            slides=parts.slides,
            role_plays=parts.role_plays,
            exercises=parts.exercises,
            home_assignment=parts.home,
            leader_notes=core.leader_notes + list(add.leader_notes),
        )

    # -- plans ---------------------------------------------------------------

    def _plan(
        self, parsed: Parsed[PlanFile], core: list[Module], variants: list[Variant]
    ) -> Plan | None:
        """A resolved plan; unknown variants, modules or openings are problems."""
        file, source = parsed.file, parsed.source
        pool = self._plan_pool(source, file.variant, core, variants)
        if pool is None:
            return None
        by_key = {m.key: m for m in pool}
        keys = list(file.modules) if file.modules is not None else [m.key for m in pool]
        for i, key in enumerate(keys):
            if key not in by_key:
                message = f"no module '{key}'; expected one of: {', '.join(by_key)}"
                self.problems.append(source.problem(("modules", i), message))
            elif key in keys[:i]:
                self.problems.append(source.problem(("modules", i), f"'{key}' is listed twice"))
        entry = self._plan_entry(source, file.open_enrollment, file.entry_module, keys)
        self._opening(source, ("opening",), file.opening)
        return build_plan(file, [by_key[k] for k in dict.fromkeys(keys) if k in by_key], entry)

    def _plan_pool(
        self,
        source: SourceFile,
        variant: str | None,
        core: list[Module],
        variants: list[Variant],
    ) -> list[Module] | None:
        """The modules a plan may use: the core's, or its variant's."""
        if variant is None:
            return core
        for v in variants:
            if v.id == variant:
                return v.modules
        known = ", ".join(v.id for v in variants) or "none"
        message = f"no variant '{variant}'; expected one of: {known}"
        self.problems.append(source.problem(("variant",), message))
        return None

    def _plan_entry(
        self, source: SourceFile, open_enrollment: bool, entry: str | None, keys: list[str]
    ) -> str | None:
        """The entry module of an open-enrollment plan (Recovery Strategies by default)."""
        if not open_enrollment:
            if entry is not None:
                message = "entry_module only applies with open_enrollment: true"
                self.problems.append(source.problem(("entry_module",), message))
            return None
        entry = entry or ENTRY_MODULE
        if entry not in keys:
            message = f"entry module '{entry}' must be one of the plan's modules"
            self.problems.append(source.problem(("entry_module",), message))
        return entry


def _number(parsed: Parsed[ModuleFile]) -> int:
    """Sort key: a module's number."""
    return parsed.file.number


def _glossary(files: ScriptFiles) -> Glossary:
    """The glossary of the script set."""
    file = files.glossary.file
    terms = [GlossaryTerm(t.term, t.means, tuple(t.forms)) for t in file.terms]
    return Glossary(terms, frozenset(file.plain_words))


def _review(file: ReviewFile, scope: str) -> Review:
    """A clinical review record."""
    return Review(file.reviewer, file.reviewed, scope)


def _missing_sections(template: TemplateFile, module: ModuleFile) -> list[str]:
    """The template sections a module lacks, as problem messages."""
    keys = {
        (s.number, slide.key)
        for s in module.sessions
        for slide in s.slides
        if isinstance(slide, SlideFile)
    }
    return [
        f"expected a slide '{section.key}' ({section.title}) in session {section.session},"
        f" as template '{template.id}' asks"
        for section in template.sections
        if (section.session, section.key) not in keys
    ]


def _kind(entry: AgendaKind | AgendaStepFile) -> AgendaKind:
    """The kind of an agenda entry, bare or detailed."""
    return entry.kind if isinstance(entry, AgendaStepFile) else entry


def _attach(kind: AgendaKind, text: str, minutes: int | None, parts: Parts) -> AgendaStep:
    """An agenda step carrying the ids of what the leader shows in it."""
    step = AgendaStep(kind, text, minutes)
    if kind == "new_material":
        return replace(step, slide_ids=[s.id for s in parts.slides])
    if kind == "practice":
        ids = [r.id for r in parts.role_plays]
        return replace(step, role_play_ids=ids, exercise_ids=[e.id for e in parts.exercises])
    if kind == "home_practice":
        return replace(step, assignment_id=parts.home.id)
    if kind == "relaxation" and parts.opening:
        return replace(step, exercise_ids=[parts.opening.id])
    return step


def _bad_reference(item_id: str, item: Item | None, kind: type) -> str:
    """Why a ``use:`` did not resolve, and what was expected."""
    noun = NOUNS[kind]
    if item is None:
        return f"no {noun} with id '{item_id}'; expected an existing {noun} id"
    return f"'{item_id}' is a {NOUNS[type(item)]}, expected a {noun}"


def _slide(file: SlideFile, ref: str, source: str) -> Slide:
    """A slide with its global id and where it is written."""
    points, questions = list(file.points), list(file.questions)
    return Slide(f"{ref}/{file.key}", file.title, points, questions, ref, source)


def _role_play(file: RolePlayFile, ref: str) -> RolePlay:
    """A role play with its global id; steps in training order."""
    roles = [RolePlayRole(r.name, r.description) for r in file.roles]
    steps = [RolePlayStep(kind, getattr(file.steps, kind)) for kind in STEP_ORDER]
    skill = list(file.skill_steps)
    return RolePlay(f"{ref}/{file.key}", file.title, file.scenario, roles, steps, skill, ref)


def _exercise(file: ExerciseFile, prefix: str, ref: str | None) -> Exercise:
    """An exercise with its global id (relaxation ones belong to no session)."""
    return Exercise(f"{prefix}/{file.key}", file.title, list(file.instructions), file.minutes, ref)


def _home(file: HomePracticeFile, ref: str) -> HomeAssignment:
    """A home assignment with its global id."""
    return HomeAssignment(f"{ref}/{file.key}", file.text)


def _worksheet(file: ModuleFile, module_id: str) -> GoalWorksheet | None:
    """The module's goal-setting worksheet, if it has one."""
    goal = file.goal_setting
    if goal is None:
        return None
    example = GoalEntry(
        goal.example.goal, [ShortTermGoal(s.goal, list(s.steps)) for s in goal.example.short_term]
    )
    return GoalWorksheet(
        id=f"{module_id}/{goal.key}",
        title=goal.title,
        intro=goal.intro,
        goal_prompt=goal.goal_prompt,
        short_term_prompt=goal.short_term_prompt,
        steps_prompt=goal.steps_prompt,
        max_short_term=goal.max_short_term,
        max_steps=goal.max_steps,
        example=example,
        session_refs=[f"{module_id}/{n}" for n in goal.sessions],
    )
