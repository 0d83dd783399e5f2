"""Find and read template folders; offsets to 1-based (line, col) in one place."""

from __future__ import annotations

import bisect
import functools
import hashlib
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kmsg_authoring.model import TEMPLATE_FILE as TEMPLATE_FILE
from kmsg_authoring.errors import Location, SourceError, UsageError

if TYPE_CHECKING:
    import yaml

# PyYAML is imported by the functions that read YAML: a build with nothing to compile never does.

# Aliases may add at most this much to a YAML document (values, plus characters of repeated strings):
# enough for anchors a person writes, far below what a "billion laughs" document expands to.
ALIAS_BUDGET = 100_000
MAX_YAML_DEPTH = 100

BODY_FILE = "body.html"
BODY_MJML = "body.mjml"  # a body written in MJML, compiled to HTML by MRML
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


def lexical_rel(root: Path, path: Path) -> str:
    """path relative to root as written (symlinks not followed), with forward slashes."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


@functools.lru_cache(maxsize=32)
def _real_root(root: str) -> str:
    return os.path.realpath(root)


def _resolve_inside(root: Path, path: Path, rel: str | None) -> tuple[str, str]:
    """(real path, project-relative path) of the file path leads to; SourceError when outside root."""
    real = os.path.realpath(path)
    base = _real_root(os.fspath(root))
    prefix = base if base.endswith(os.sep) else base + os.sep
    if not real.startswith(prefix):
        raise SourceError(
            f"leads outside the project (to {real}); only files inside the project are read",
            Location(rel or lexical_rel(root, path)),
        )
    return real, real[len(prefix) :].replace(os.sep, "/")


def confine(root: Path, path: Path, rel: str | None = None) -> str:
    """The project-relative path of the file path leads to, symlinks followed.

    Raises SourceError, located at rel (default: path as written), when it leads outside the
    project root: a symlink to /etc/passwd or /proc/self/environ is refused before anything is read.
    """
    return _resolve_inside(root, path, rel)[1]


# The reads of the current compile (project-relative path -> SHA-256 of the exact bytes read), so
# that the build cache is keyed by what was compiled, not by what the files hold when it stores.
_READS: ContextVar[dict[str, str | None] | None] = ContextVar("kmsg_reads", default=None)
CHANGED_WHILE_READ = "changed while read"


def digest(data: bytes) -> str:
    """The SHA-256 hex digest of bytes: the one content hash of the toolkit (sources, outputs, snapshots)."""
    return hashlib.sha256(data).hexdigest()


@contextmanager
def recording_reads() -> Iterator[dict[str, str | None]]:
    """Within the block, every read_text notes the hash of the bytes it read (None: looked for, absent)."""
    reads: dict[str, str | None] = {}
    token = _READS.set(reads)
    try:
        yield reads
    finally:
        _READS.reset(token)


def note_read(rel: str, sha: str | None) -> None:
    """Record a read in the active recording; a file read twice with different bytes never matches."""
    reads = _READS.get()
    if reads is not None:
        reads[rel] = sha if reads.get(rel, sha) == sha else CHANGED_WHILE_READ


def read_bytes(path: Path, rel: str, *, root: Path) -> bytes:
    """The bytes of a project file, confined to root; SourceError located at rel when refused or unreadable."""
    real, _ = _resolve_inside(root, path, rel)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; only regular files are read.
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise SourceError("file not found", Location(rel)) from None
    except OSError as exc:
        raise SourceError(f"cannot read file: {exc.strerror}", Location(rel)) from None
    with open(fd, "rb") as fh:
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise SourceError("not a regular file", Location(rel))
            data = fh.read()
        except OSError as exc:
            raise SourceError(f"cannot read file: {exc.strerror}", Location(rel)) from None
    if _READS.get() is not None:
        note_read(rel, digest(data))
    return data


def read_text(path: Path, rel: str, *, root: Path) -> str:
    """Read a project file as UTF-8 (confined to root), reporting a clear error at the first bad byte."""
    data = read_bytes(path, rel, root=root)
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


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _children(node: yaml.Node) -> list[yaml.Node]:
    import yaml

    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_aliases(top: yaml.Node, rel: str) -> None:
    """Refuse recursive aliases and aliases that expand a document beyond ALIAS_BUDGET.

    Runs on the composed node graph, where an alias is a second reference to the same node, so it
    takes time linear in the file: nothing is expanded to measure the expansion.
    """
    import yaml

    size: dict[int, int] = {}  # node -> its weight with aliases expanded (values, plus string lengths)
    distinct = 0  # the weight of every node finished so far, each counted once
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(top, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            on_path.discard(key)
            weight = 1 + (len(node.value) if isinstance(node, yaml.ScalarNode) else 0)
            distinct += weight
            total = weight + sum(size[id(c)] for c in _children(node))
            size[key] = total
            # Every node below this one is finished, so `distinct` covers them: the excess is aliases.
            if total > distinct + ALIAS_BUDGET:
                line, col = _mark(node)
                raise SourceError(
                    f"YAML aliases expand too far here (by more than {ALIAS_BUDGET:,} values and characters); "
                    "write the values out or use fewer aliases",
                    Location(rel, line, col),
                )
            continue
        if key in size:
            continue
        if key in on_path:
            line, col = _mark(node)
            raise SourceError("recursive YAML alias: a value contains itself", Location(rel, line, col))
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(_children(node)))


_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"


def _record(node: yaml.Node, prefix: tuple[str, ...], out: dict[tuple[str, ...], tuple[int, int]], rel: str) -> None:
    """Note where each key and item stands; refuse duplicate keys and deep nesting on the way."""
    import yaml

    if len(prefix) > MAX_YAML_DEPTH:
        line, col = _mark(node)
        raise SourceError(f"YAML nested too deeply (more than {MAX_YAML_DEPTH} levels)", Location(rel, line, col))
    if isinstance(node, yaml.MappingNode):
        seen: dict[tuple[str, Any], yaml.Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag not in (_STR_TAG, _MERGE_TAG):
                # Every key here names a field, a token or a header: `on:` or `yes:` would be read as a
                # boolean and `1:` as a number, which no API field is (and which breaks sorting JSON).
                line, col = _mark(key_node)
                shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "a non-scalar key"
                raise SourceError(
                    f"key '{shown}' is not read as text ({key_node.tag.rsplit(':', 1)[-1]}); quote it: '{shown}':"
                    if isinstance(key_node, yaml.ScalarNode)
                    else f"{shown} in a mapping; keys name fields and must be text",
                    Location(rel, line, col),
                )
            if isinstance(key_node, yaml.ScalarNode):
                first = seen.setdefault((key_node.tag, key_node.value), key_node)
                if first is not key_node:
                    line, col = _mark(key_node)
                    raise SourceError(
                        f"duplicate key '{key_node.value}' (first at line {_mark(first)[0]}); "
                        "a key may appear once in a mapping",
                        Location(rel, line, col),
                    )
            key = (*prefix, str(key_node.value))
            out[key] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _record(value_node, key, out, rel)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            key = (*prefix, str(i))
            out[key] = (item.start_mark.line + 1, item.start_mark.column + 1)
            _record(item, key, out, rel)


def load_yaml(text: str, rel: str, *, require_mapping: bool = True) -> YamlDoc:
    """Parse YAML text into a YamlDoc; syntax errors, duplicate keys and alias bombs are located SourceErrors."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    positions: dict[tuple[str, ...], tuple[int, int]] = {}
    try:
        node = loader.get_single_node()
        # Without an anchor there is no alias; the check is skipped for the files most projects have.
        if node is not None and "&" in text:
            _check_aliases(node, rel)
        if node is not None:
            # Before construction, which folds merge keys (<<) into the mapping they extend.
            _record(node, (), positions, rel)
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
    return YamlDoc(rel, data, positions)


def body_file(folder: Path, rel_folder: str) -> str:
    """The body file of a template folder: body.html or body.mjml (never both, at least one)."""
    html, mjml = (folder / BODY_FILE).is_file(), (folder / BODY_MJML).is_file()
    # Looked for and absent: creating it later changes what the template is compiled from.
    for name, present in ((BODY_FILE, html), (BODY_MJML, mjml)):
        if not present:
            note_read(f"{rel_folder}/{name}", None)
    if html and mjml:
        raise SourceError(
            f"both {BODY_FILE} and {BODY_MJML}: a template has one body; remove one of them",
            Location(f"{rel_folder}/{BODY_MJML}"),
        )
    if not (html or mjml):
        raise SourceError(
            f"missing {BODY_FILE} (or {BODY_MJML} for a body written in MJML)", Location(f"{rel_folder}/{BODY_FILE}")
        )
    return BODY_MJML if mjml else BODY_FILE


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
