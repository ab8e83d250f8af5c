"""The parsed, schema-valid files of a script set, grouped as they sit on disk."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

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
from imr_live.curriculum.yaml_source import SourceFile

T = TypeVar("T")


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """A file's validated model together with its source (for line numbers)."""

    file: T
    source: SourceFile


@dataclass
class VariantFiles:
    """A variant folder: ``variant.yaml`` plus its module or additions files.

    An ``additions`` variant may also bring modules of its own (files with an
    ``id:``), served next to the core modules it extends.
    """

    variant: Parsed[VariantFile]
    modules: list[Parsed[ModuleFile]] = field(default_factory=list)
    additions: list[Parsed[AdditionsFile]] = field(default_factory=list)


@dataclass
class ScriptFiles:
    """Everything under the script root that passed the per-file checks."""

    root: Path
    agenda: Parsed[StandardAgendaFile]
    relaxation: Parsed[RelaxationFile]
    glossary: Parsed[GlossaryFile]
    templates: list[Parsed[TemplateFile]] = field(default_factory=list)
    modules: list[Parsed[ModuleFile]] = field(default_factory=list)
    variants: list[VariantFiles] = field(default_factory=list)
    plans: list[Parsed[PlanFile]] = field(default_factory=list)
