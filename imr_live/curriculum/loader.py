"""Find, read and check every file under the script root, then assemble the Curriculum.

Layout (see docs/session-scripts.md)::

    agenda.yaml              the usual session shape, with default step texts
    relaxation.yaml          short exercises that can open any session
    glossary.yaml            hard words and their plain meanings
    templates/<id>.yaml      sections shared by a family of modules
    modules/<module>.yaml    one file per core module
    variants/<id>/variant.yaml  plus <module>.yaml files (modules or additions)
    plans/<plan>.yaml        individual, group and combined plans
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from imr_live.curriculum.assembly import Assembly
from imr_live.curriculum.curriculum import Curriculum
from imr_live.curriculum.problems import CurriculumInvalid, Problem
from imr_live.curriculum.schema import (
    AdditionsFile,
    GlossaryFile,
    ModuleFile,
    PlanFile,
    RelaxationFile,
    StandardAgendaFile,
    TemplateFile,
    VariantFile,
)
from imr_live.curriculum.script_files import Parsed, ScriptFiles, VariantFiles
from imr_live.curriculum.validation import (
    module_problems,
    schema_problems,
    standard_agenda_problems,
    stem_problem,
)
from imr_live.curriculum.yaml_source import read_source
from imr_live.resources import SCRIPTS_DIR

DEFAULT_SCRIPTS_DIR = SCRIPTS_DIR
M = TypeVar("M", bound=BaseModel)


def load_curriculum(root: Path = DEFAULT_SCRIPTS_DIR) -> Curriculum:
    """Load and validate every file under ``root``; raise CurriculumInvalid listing all problems."""
    reader = ScriptReader(root)
    files = reader.read_all()
    if files is None or reader.problems:
        raise CurriculumInvalid(reader.problems or [Problem(str(root), None, "", "no scripts")])
    # Cross-file checks run only on a set whose files are each valid, so a
    # broken file does not also show up as a wave of broken references.
    assembly = Assembly(files)
    curriculum = assembly.run()
    if curriculum is None:
        raise CurriculumInvalid(assembly.problems)
    return curriculum


def check_curriculum(root: Path = DEFAULT_SCRIPTS_DIR) -> list[Problem]:
    """Every problem in the script set under ``root`` (empty when it is valid)."""
    try:
        load_curriculum(root)
    except CurriculumInvalid as error:
        return error.problems
    return []


class ScriptReader:
    """Reads the files of one script root, collecting problems as it goes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []

    def read_all(self) -> ScriptFiles | None:
        """All files, parsed and checked one by one; None if a required file is unusable."""
        if not self.root.is_dir():
            self.problems.append(Problem(str(self.root), None, "", "script folder not found"))
            return None
        agenda = self._agenda()
        relaxation = self.parse(self.root / "relaxation.yaml", RelaxationFile)
        glossary = self.parse(self.root / "glossary.yaml", GlossaryFile)
        templates = [self._template(p) for p in self._yaml_in(self.root / "templates")]
        modules = [self._module(p, core=True) for p in self._yaml_in(self.root / "modules")]
        variants = [self._variant(d) for d in sorted((self.root / "variants").glob("*/"))]
        plans = [self._plan(p) for p in self._yaml_in(self.root / "plans")]
        if not (self.root / "modules").is_dir() or not modules:
            self.problems.append(Problem("modules", None, "", "expected at least one module file"))
        if agenda is None or relaxation is None or glossary is None:
            return None
        return ScriptFiles(
            self.root,
            agenda,
            relaxation,
            glossary,
            _present(templates),
            _present(modules),
            _present(variants),
            _present(plans),
        )

    def parse(self, path: Path, model: type[M]) -> Parsed[M] | None:
        """One file read and checked against its schema model."""
        name = path.relative_to(self.root).as_posix()
        if not path.is_file():
            self.problems.append(Problem(name, None, "", "required file is missing"))
            return None
        source = read_source(path, name)
        self.problems.extend(source.problems)
        if source.data is None and source.problems:
            return None
        if not isinstance(source.data, dict):
            self.problems.append(Problem(name, 1, "", "expected a mapping of fields (key: value)"))
            return None
        try:
            return Parsed(model.model_validate(source.data), source)
        except ValidationError as error:
            self.problems.extend(schema_problems(source, error))
            return None

    def _agenda(self) -> Parsed[StandardAgendaFile] | None:
        """agenda.yaml, with every kind given a default text."""
        parsed = self.parse(self.root / "agenda.yaml", StandardAgendaFile)
        if parsed is not None:
            steps = parsed.file.steps
            kinds, texts = [s.kind for s in steps], [s.text for s in steps]
            found = standard_agenda_problems(parsed.source, kinds, texts)
            self.problems.extend(found)
            return None if found else parsed
        return None

    def _module(self, path: Path, *, core: bool) -> Parsed[ModuleFile] | None:
        """A module file, checked against the IMR rules too."""
        parsed = self.parse(path, ModuleFile)
        if parsed is not None:
            self.problems.extend(stem_problem(parsed.source, parsed.file.id, path.stem, "id"))
            self.problems.extend(module_problems(parsed.source, parsed.file, core=core))
        return parsed

    def _variant(self, folder: Path) -> VariantFiles | None:
        """A variant folder; its other files are read as modules or additions."""
        parsed = self.parse(folder / "variant.yaml", VariantFile)
        if parsed is None:
            return None
        self.problems.extend(stem_problem(parsed.source, parsed.file.id, folder.name, "id"))
        variant = VariantFiles(parsed)
        for path in self._yaml_in(folder, skip="variant.yaml"):
            if parsed.file.kind == "additions" and not _declares_id(path):
                added = self.parse(path, AdditionsFile)
                if added is not None:
                    found = stem_problem(added.source, added.file.module, path.stem, "module")
                    self.problems.extend(found)
                    variant.additions.append(added)
            elif (module := self._module(path, core=False)) is not None:
                variant.modules.append(module)
        return variant

    def _template(self, path: Path) -> Parsed[TemplateFile] | None:
        """A module template, named after its id."""
        parsed = self.parse(path, TemplateFile)
        if parsed is not None:
            self.problems.extend(stem_problem(parsed.source, parsed.file.id, path.stem, "id"))
        return parsed

    def _plan(self, path: Path) -> Parsed[PlanFile] | None:
        """A plan file, named after its id."""
        parsed = self.parse(path, PlanFile)
        if parsed is not None:
            self.problems.extend(stem_problem(parsed.source, parsed.file.id, path.stem, "id"))
        return parsed

    def _yaml_in(self, folder: Path, skip: str = "") -> list[Path]:
        """The .yaml files of a folder, sorted; .yml is flagged so it is not silently skipped."""
        for stray in sorted(folder.glob("*.yml")):
            name = stray.relative_to(self.root).as_posix()
            self.problems.append(Problem(name, None, "", "expected the .yaml extension"))
        return [p for p in sorted(folder.glob("*.yaml")) if p.name != skip]


T = TypeVar("T")


def _declares_id(path: Path) -> bool:
    """True for a module file (``id:`` at the top level) among an additions variant's files."""
    with path.open(encoding="utf-8") as lines:
        return any(line.startswith("id:") for line in lines)


def _present(items: list[T | None]) -> list[T]:
    """The items that were read successfully."""
    return [item for item in items if item is not None]
