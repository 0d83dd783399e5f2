"""What kmsg.toml may hold, described once beside the code that reads each section.

Each section declares its keys (name, type, default, one-line help, allowed values); the reader checks
a table against that declaration (an unknown key is a located error with the closest known one) and
reads it through a `Table`, which refuses to hand out a key the declaration does not describe. The
configuration reference of the documentation is written from these declarations, so the page, the
unknown-key errors and what the code reads are one list.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kmsg_authoring.errors import ConfigError, Location
from kmsg_authoring.model import CONFIG_FILE


_HEADER = re.compile(r"\A\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?\Z")
_KEY_LINE = re.compile(
    r"\A(\s*)((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*="
)


def _key_parts(dotted: str) -> tuple[str, ...]:
    return tuple(p.strip().strip("\"'") for p in re.findall(r"\"[^\"]*\"|'[^']*'|[^.]+", dotted))


def toml_location(text: str, *keys: str) -> Location:
    """Where a table or key of kmsg.toml is written: the key's line and column, else its table's header,
    else the closest enclosing table written (a TOML reader keeps no positions; the text does)."""
    table: tuple[str, ...] = ()
    best, best_len = Location(CONFIG_FILE), 0
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header:
            table = _key_parts(header.group(1))
            path, col = table, line.index("[") + 1
        else:
            m = _KEY_LINE.match(line)
            if not m:
                continue
            path, col = (*table, *_key_parts(m.group(2))), len(m.group(1)) + 1
        if path == keys:
            return Location(CONFIG_FILE, number, col)
        common = 0
        while common < min(len(path), len(keys)) and path[common] == keys[common]:
            common += 1
        if common == len(path) and common > best_len:
            best, best_len = Location(CONFIG_FILE, number, col), common
    return best


def unknown_section(data: Mapping[str, Any], known: tuple[str, ...], text: str) -> None:
    """A ConfigError for the first section of kmsg.toml not known, at its line, with the closest known one."""
    keys = set(data) - set(known)
    if not keys:
        return
    key = min(keys)
    close = difflib.get_close_matches(key, sorted(known), n=1)
    hint = f" (did you mean [{close[0]}]?)" if close else f" (known: {', '.join(known)})"
    raise ConfigError(f"unknown section [{key}]{hint}", toml_location(text, key))


class TomlTable(Mapping[str, Any]):
    """A read-only table of kmsg.toml that knows where its keys are written (for the modules that
    validate [lint] and [snapshot] themselves)."""

    def __init__(self, data: Mapping[str, Any], text: str, *path: str) -> None:
        self._data = dict(data)
        self._text = text
        self._path = path

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"TomlTable({self._data!r})"

    def locate(self, *keys: str | int) -> Location:
        """Where a key (or an item of one) of this table is written in kmsg.toml."""
        return toml_location(self._text, *self._path, *(str(k) for k in keys if isinstance(k, str)))


def located(table: Any, *keys: str | int) -> Location:
    """Where a key of a kmsg.toml table is written (the file alone for a table read elsewhere)."""
    return table.locate(*keys) if isinstance(table, TomlTable) else Location(CONFIG_FILE)


class UndescribedKey(Exception):
    """Code asked a section for a key its declaration does not describe: describe it in the section."""


@dataclass(frozen=True)
class Key:
    """One key of a section."""

    name: str
    type: str  # as the reference shows it: "string", "boolean", "number", "list of strings", "table", ...
    help: str  # one line
    default: Any = None  # the value when the key is left out, as TOML would give it (None: no value)
    choices: tuple[str, ...] = ()  # the values allowed, where there is a fixed list
    default_text: str = ""  # the default in words, where it is not one value ("the first of locales")
    example: Any = None  # the value the reference's example shows (None: the default)


@dataclass(frozen=True)
class Section:
    """One table of kmsg.toml: `build`, `build.mjml`, `environments.<name>`, ..."""

    name: str
    help: str
    keys: tuple[Key, ...] = ()
    free: bool = False  # any key is allowed (build-time variables): nothing to check

    def key(self, name: str) -> Key:
        """The declaration of one key, or UndescribedKey."""
        for k in self.keys:
            if k.name == name:
                return k
        raise UndescribedKey(f"[{self.name}] {name} is read but not described in its section's declaration")

    def names(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.keys)

    def read(self, raw: Mapping[str, Any], where: str, locate: Callable[..., Location]) -> Table:
        """raw checked (a ConfigError at the first unknown key, with the closest known one), as a Table."""
        unknown = sorted(str(k) for k in raw if k not in self.names()) if not self.free else []
        if unknown:
            key, known = unknown[0], self.names()
            close = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(sorted(known))})"
            raise ConfigError(f"{where}: unknown key '{key}'{hint}", locate(key))
        return Table(self, raw)


class Table(Mapping[str, Any]):
    """A checked table, read only by the names its section describes."""

    def __init__(self, section: Section, raw: Mapping[str, Any]) -> None:
        self.section, self._raw = section, raw

    def __getitem__(self, name: str) -> Any:
        if not self.section.free:
            self.section.key(name)
        return self._raw[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def value(self, name: str) -> Any:
        """The value written, else the declared default (TOML arrays as lists)."""
        if name in self:
            return self._raw[name]
        default = self.section.key(name).default
        return list(default) if isinstance(default, tuple) else default
