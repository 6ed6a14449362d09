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
STYLE_FILE = "khmer-style.yaml"  # the Khmer style's word lists
DATED_FILE = "dated-words.yaml"  # words that make an answer a dated fact


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


    def text_line(self, field_path: str, text: str, offset: int) -> int:
        """Line of the character at `offset` of the field's text: exact inside a literal block
        (`answer: |`), else the field's own line."""
        first = self.lines.get(field_path + TEXT_START)
        return first + text.count("\n", 0, offset) if first else self.line(field_path)


TEXT_START = "#text"  # suffix of a field path: the first line of its literal block's text


def _record_lines(node: yaml.Node, path: str, lines: dict[str, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = f"{path}.{key_node.value}" if path else str(key_node.value)
            lines[child] = key_node.start_mark.line + 1
            if isinstance(value_node, yaml.ScalarNode) and value_node.style == "|":
                lines[child + TEXT_START] = value_node.start_mark.line + 2
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
    except UnicodeDecodeError:
        return SourceFile(path, None, error="the file is not UTF-8 text", error_line=1)
    return parse_yaml(path, text)


def parse_yaml(path: Path, text: str) -> SourceFile:
    """Parse one file's text as if read from `path` (the console validates drafts this way)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        line, message = describe_syntax_error(exc)
        return SourceFile(path, None, error=f"YAML syntax: {message}", error_line=line)
    lines: dict[str, int] = {}
    if node is not None:
        _record_lines(node, "", lines)
    return SourceFile(path, data, lines)


@dataclass
class RuleFiles:
    """The files that hold the validator's rules; a folder without one skips its checks."""

    domains: SourceFile | None = None  # sources.yaml
    style: SourceFile | None = None  # khmer-style.yaml
    dated: SourceFile | None = None  # dated-words.yaml

    def present(self) -> list[SourceFile]:
        """The rule files the folder has."""
        return [f for f in (self.domains, self.style, self.dated) if f is not None]


def read_rules(root: Path) -> RuleFiles:
    """The folder's rule files, parsed (None for each one it does not have)."""
    def one(name: str) -> SourceFile | None:
        path = root / name
        return read_yaml(path) if path.exists() else None

    return RuleFiles(one(SOURCES_FILE), one(STYLE_FILE), one(DATED_FILE))


@dataclass
class KnowledgeFiles:
    """Everything under a knowledge folder, parsed but not yet validated."""

    root: Path
    entries: list[SourceFile]
    synonyms: SourceFile | None
    categories: SourceFile | None
    scope: SourceFile | None = None
    rules: RuleFiles = field(default_factory=RuleFiles)


def read_folder(root: Path) -> KnowledgeFiles:
    """Read entry files (`<category>/<id>.yaml`), synonyms, categories, scope and the rule
    files."""
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
        read_rules(root),
    )
