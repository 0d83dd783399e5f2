"""Find and read template folders; offsets to 1-based (line, col) in one place."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any

import yaml

from kmsg_authoring.errors import Location, SourceError, UsageError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

TEMPLATE_FILE = "template.yaml"
BODY_FILE = "body.html"
SAMPLES_DIR = "samples"


class LineIndex:
    """Maps offsets in a text to 1-based line and column."""

    def __init__(self, text: str) -> None:
        # Offsets where each line starts: cumulative lengths of the "\n"-separated lines, in C.
        self.starts = list(accumulate(map((1).__add__, map(len, text.split("\n")[:-1])), initial=0))

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of an offset."""
        line = bisect.bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line] + 1


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of an offset in text."""
    return LineIndex(text).line_col(offset)


def read_text(path: Path, rel: str) -> str:
    """Read a source file as UTF-8, reporting a clear error at the first bad byte."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError("file not found", Location(rel)) from None
    except OSError as exc:
        raise SourceError(f"cannot read file: {exc.strerror}", Location(rel)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].decode("utf-8", "replace")
        line, col = line_col(prefix, len(prefix))
        raise SourceError(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            Location(rel, line, col),
        ) from None
    return text.removeprefix("\ufeff")


@dataclass
class YamlDoc:
    """A parsed YAML mapping that remembers where each key and value stands."""

    path: str
    data: dict[str, Any]
    positions: dict[tuple[str, ...], tuple[int, int]] = field(default_factory=dict)

    def locate(self, *keys: str | int) -> Location:
        """Location of the deepest known node along keys (the file start if none)."""
        path = tuple(str(k) for k in keys)
        while path:
            if path in self.positions:
                line, col = self.positions[path]
                return Location(self.path, line, col)
            path = path[:-1]
        return Location(self.path, 1, 1)


def _record(node: yaml.Node, prefix: tuple[str, ...], out: dict[tuple[str, ...], tuple[int, int]]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*prefix, str(key_node.value))
            out[key] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _record(value_node, key, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            key = (*prefix, str(i))
            out[key] = (item.start_mark.line + 1, item.start_mark.column + 1)
            _record(item, key, out)


def load_yaml(text: str, rel: str, *, require_mapping: bool = True) -> YamlDoc:
    """Parse YAML text into a YamlDoc; syntax errors become SourceError with line and column."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(rel, mark.line + 1, mark.column + 1) if mark else Location(rel)
        problem = exc.problem or exc.context or "invalid YAML"
        raise SourceError(f"invalid YAML: {problem}", loc) from None
    except yaml.YAMLError as exc:
        raise SourceError(f"invalid YAML: {exc}", Location(rel)) from None
    finally:
        loader.dispose()
    if data is None:
        data = {}
    if require_mapping and not isinstance(data, dict):
        raise SourceError("expected a mapping of field names to values", Location(rel))
    positions: dict[tuple[str, ...], tuple[int, int]] = {}
    if node is not None:
        _record(node, (), positions)
    return YamlDoc(rel, data, positions)


def is_template_dir(path: Path) -> bool:
    """A template folder: not starting with '_' or '.', holding a template.yaml."""
    return path.is_dir() and not path.name.startswith(("_", ".")) and (path / TEMPLATE_FILE).is_file()


def discover(src_dir: Path) -> list[str]:
    """Slugs of every template folder under src_dir, sorted."""
    if not src_dir.is_dir():
        return []
    return sorted(p.name for p in src_dir.iterdir() if is_template_dir(p))


def slug_for_path(src_dir: Path, path: Path) -> str:
    """The template slug a path (folder or any file inside one) belongs to."""
    try:
        rel = path.resolve().relative_to(src_dir.resolve())
    except ValueError:
        raise UsageError(f"{path}: not inside {src_dir}") from None
    if not rel.parts:
        raise UsageError(f"{path}: name a template folder, not the source root")
    slug = rel.parts[0]
    if not is_template_dir(src_dir / slug):
        raise UsageError(f"{path}: not a template folder (no {TEMPLATE_FILE})")
    return slug
