"""Reading the editors' knowledge files, keeping the line of every field for error messages.

An editor fixing "answer is not valid HTML" needs to know which file and which line; PyYAML's
composed node tree carries the marks, so each field's line is recorded as the file is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

ENTRY_GLOB = "*/*.yaml"
SYNONYMS_FILE = "synonyms.yaml"
SCOPE_FILE = "scope.yaml"
CATEGORIES_FILE = "categories.yaml"
SOURCES_FILE = "sources.yaml"  # domain lists: official, press, other, bad


@dataclass
class SourceFile:
    """One YAML file's data, where it came from, and the line of each field path ("en.answer")."""

    path: Path
    data: object
    lines: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    error_line: int = 0

    def line(self, field_path: str) -> int:
        """Line of the field, or of its nearest parent, or 1."""
        while field_path:
            if field_path in self.lines:
                return self.lines[field_path]
            field_path = field_path.rpartition(".")[0]
        return 1


def _record_lines(node: yaml.Node, path: str, lines: dict[str, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = f"{path}.{key_node.value}" if path else str(key_node.value)
            lines[child] = key_node.start_mark.line + 1
            _record_lines(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            child = f"{path}.{i}"
            lines[child] = item.start_mark.line + 1
            _record_lines(item, child, lines)


#: Where PyYAML says it was (its ``context``) → what the editor did wrong, said plainly. For
#: these the error is on the line where the construct *began* (PyYAML's ``context_mark``): the
#: parser only notices an unclosed ``[`` or quote lines later, which sent editors to the wrong
#: line.
_OPENED_HERE = {
    "while parsing a flow sequence": "a list opened with [ on this line is not closed with ]",
    "while parsing a flow mapping": "a {…} opened on this line is not closed with }",
    "while scanning a quoted scalar": (
        "a quote opened on this line is not closed; end the text with the same quote mark"
    ),
    "while scanning a simple key": (
        "this line has no ':'; write it as 'name: value', or as '- item' in a list"
    ),
}


def describe_syntax_error(exc: yaml.YAMLError) -> tuple[int, str]:
    """The line to fix and a plain description of a YAML syntax error.

    Why not PyYAML's own message: it names parser states ("expected <block end>") and points
    at where parsing failed, which for an unclosed bracket or quote is lines below the mistake.
    """
    problem_mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None) or ""
    line = problem_mark.line + 1 if problem_mark else 1
    if context in _OPENED_HERE and context_mark is not None:
        return context_mark.line + 1, _OPENED_HERE[context]
    if problem.startswith("mapping values are not allowed"):
        return line, (
            "a ':' where a value was expected: put text that contains ': ' in quotes, or "
            "indent this line like the names above it"
        )
    if "'\\t'" in problem:  # PyYAML spells the tab as a backslash and a t
        return line, "a tab in the indentation; indent with spaces only"
    if problem.startswith("expected <block end>"):
        return line, "this line is not indented like the lines above it"
    return line, problem


def read_yaml(path: Path) -> SourceFile:
    """Parse one file; a syntax error is kept on the result rather than raised."""
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except UnicodeDecodeError:
        return SourceFile(path, None, error="the file is not UTF-8 text", error_line=1)
    except yaml.YAMLError as exc:
        line, message = describe_syntax_error(exc)
        return SourceFile(path, None, error=f"YAML syntax: {message}", error_line=line)
    lines: dict[str, int] = {}
    if node is not None:
        _record_lines(node, "", lines)
    return SourceFile(path, data, lines)


@dataclass
class KnowledgeFiles:
    """Everything under a knowledge folder, parsed but not yet validated."""

    root: Path
    entries: list[SourceFile]
    synonyms: SourceFile | None
    categories: SourceFile | None
    scope: SourceFile | None = None
    domains: SourceFile | None = None  # sources.yaml


def read_domains(root: Path) -> SourceFile | None:
    """The folder's sources.yaml (domain lists), parsed, or None when there is none."""
    path = root / SOURCES_FILE
    return read_yaml(path) if path.exists() else None


def read_folder(root: Path) -> KnowledgeFiles:
    """Read entry files (`<category>/<id>.yaml`), synonyms, categories, scope and sources.yaml."""
    entries = [read_yaml(p) for p in sorted(root.glob(ENTRY_GLOB))]
    synonyms = root / SYNONYMS_FILE
    categories = root / CATEGORIES_FILE
    scope = root / SCOPE_FILE
    return KnowledgeFiles(
        root,
        entries,
        read_yaml(synonyms) if synonyms.exists() else None,
        read_yaml(categories) if categories.exists() else None,
        read_yaml(scope) if scope.exists() else None,
        read_domains(root),
    )
