"""Read a YAML script file into plain data plus the line of every field."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from imr_live.curriculum.problems import Problem

Path_ = tuple[str | int, ...]


@dataclass
class SourceFile:
    """One parsed file: its data, where each field sits, and problems seen while reading."""

    name: str
    data: Any = None
    lines: dict[Path_, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, path: Path_) -> int | None:
        """The line of ``path``, or of its nearest parent we know."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def problem(self, path: Path_, message: str) -> Problem:
        """A problem located at ``path`` in this file."""
        return Problem(self.name, self.line_of(path), field_name(path), message)


def field_name(path: Path_) -> str:
    """``("sessions", 0, "title")`` -> ``sessions[0].title``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


def read_source(path: Path, name: str) -> SourceFile:
    """Parse ``path``; YAML errors become problems instead of exceptions."""
    source = SourceFile(name)
    try:
        loader = yaml.SafeLoader(path.read_text(encoding="utf-8"))
        try:
            node = loader.get_single_node()
            source.data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        source.problems.append(Problem(name, line, "", f"not valid YAML: {error.problem}"))
        return source
    except (OSError, UnicodeDecodeError) as error:
        source.problems.append(Problem(name, None, "", f"cannot read file: {error}"))
        return source
    if node is not None:
        _record_lines(node, (), source)
    return source


def _record_lines(node: yaml.Node, path: Path_, source: SourceFile, line: int = 0) -> None:
    """Walk the node tree, noting each field's line and any duplicate keys."""
    # A field's line is its key's line: that is where a reader looks for it.
    source.lines[path] = line or node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key, key_line = str(key_node.value), key_node.start_mark.line + 1
            if key in seen:
                # SafeLoader silently keeps the last one; a clinician would lose text.
                source.problems.append(
                    Problem(source.name, key_line, field_name((*path, key)), "duplicate key")
                )
            seen.add(key)
            _record_lines(value_node, (*path, key), source, key_line)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*path, index), source)
