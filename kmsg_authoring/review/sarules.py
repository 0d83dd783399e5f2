"""SpamAssassin's rule definitions, read from its own rule files, to find the text a rule hit matched.

spamd says which rules hit, not where. For a body, subject, raw body or URI rule the pattern is in
SpamAssassin's .cf files: it is translated from Perl to Python and run again on the same message
text, so the hit can be shown at the text that triggered it. A meta rule is placed where one of the
rules it combines matched. Patterns Python cannot run are left unplaced, never guessed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

_DEF = re.compile(r"\A(body|rawbody|header|uri|meta)\s+([A-Za-z0-9_]+)\s+(.*?)\s*\Z")
_HEADER = re.compile(r"\A([A-Za-z0-9_-]+)(?::\w+)*\s*=~\s*(.*)\Z")
_DELIMS = {"{": "}", "(": ")", "[": "]", "<": ">"}
_NAME = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")
_NEGATED = re.compile(r"!\s*([A-Za-z_][A-Za-z0-9_]*)")
_META_DEPTH = 4
# Rules a meta rule's placement may try: a meta hit is placed at the first of its rules that matches,
# and a meta rule of dozens of rules should not cost more than scoring the message did.
_META_BUDGET = 24


@dataclass(frozen=True)
class RuleDef:
    """A rule's kind (body, rawbody, header, uri, meta), the header it reads, and its pattern or expression."""

    kind: str
    header: str | None
    source: str


@functools.cache
def load_rules(dirs: tuple[Path, ...]) -> dict[str, RuleDef]:
    """Every body, rawbody, header, uri and meta rule of the .cf files under the folders (later files win)."""
    rules: dict[str, RuleDef] = {}
    for folder in reversed(dirs):
        for path in sorted(folder.rglob("*.cf")):
            try:
                text = path.read_text(encoding="latin-1")
            except OSError:
                continue
            for line in text.splitlines():
                m = _DEF.match(line.strip())
                if m is None:
                    continue
                kind, name, rest = m.groups()
                header = None
                if kind == "header":
                    h = _HEADER.match(rest)
                    if h is None:
                        continue
                    header, rest = h.group(1), h.group(2)
                rules[name] = RuleDef(kind, header, rest)
    return rules


@functools.lru_cache(maxsize=4096)
def perl_regex(source: str) -> re.Pattern[str] | None:
    """A Perl match operator (/re/flags, m{re}flags) as a Python pattern; None when Python cannot run it."""
    source = source.strip()
    if source.startswith("eval:"):
        return None
    if source.startswith("m") and len(source) > 1 and not source[1].isalnum() and not source[1].isspace():
        opener, body = source[1], source[2:]
    elif source.startswith("/"):
        opener, body = "/", source[1:]
    else:
        return None
    closer = _DELIMS.get(opener, opener)
    end = body.rfind(closer)
    if end < 0:
        return None
    pattern, modifiers = body[:end], body[end + 1 :]
    flags = 0
    for letter in modifiers:
        flag = {"i": re.IGNORECASE, "s": re.DOTALL, "m": re.MULTILINE, "x": re.VERBOSE}.get(letter)
        if flag is None and letter not in "gox":
            return None
        flags |= flag or 0
    try:
        return re.compile(_translate(pattern), flags)
    except (re.error, RecursionError, OverflowError, ValueError):
        return None


def _translate(pattern: str) -> str:
    """Perl regex syntax Python spells differently: \\z, \\Z, \\h, (?<name>...), \\k<name>."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append({"z": r"\Z", "Z": r"(?=\n?\Z)", "h": r"[ \t]"}.get(nxt, c + nxt))
            i += 2
            continue
        if pattern.startswith("(?<", i) and i + 3 < len(pattern) and pattern[i + 3] not in "=!":
            out.append("(?P<")
            i += 3
            continue
        out.append(c)
        i += 1
    return re.sub(r"\\k<(\w+)>", r"(?P=\1)", "".join(out))


def as_bytes_text(text: str) -> str:
    """Text as SpamAssassin's patterns see it: UTF-8 bytes, one character per byte."""
    return text.encode("utf-8").decode("latin-1")


def from_bytes_text(text: str) -> str:
    """The inverse of as_bytes_text (a cut inside a character becomes U+FFFD)."""
    return text.encode("latin-1").decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Texts:
    """The parts of a message SpamAssassin's rules read, as byte text (see as_bytes_text)."""

    subject: str
    body: str  # visible text of the HTML body, its blocks on lines
    raw: str  # the HTML as sent
    uris: Sequence[str]
    headers: dict[str, str]


@dataclass(frozen=True)
class Match:
    """Where a rule matched: the part (subject, body, rawbody, uri, or a header's name) and the span in it."""

    part: str  # "subject", "body", "rawbody", "uri:<index>" or a header's name in lower case
    start: int
    end: int
    text: str  # as the reader sees it (decoded)


def find_match(
    rules: dict[str, RuleDef], name: str, texts: Texts, depth: int = 0, _tried: set[str] | None = None
) -> Match | None:
    """Where the rule `name` (or, for a meta rule, a rule it combines) matches the message, if it can be told."""
    found = rules.get(name)
    if found is None or depth > _META_DEPTH:
        return None
    if found.kind == "meta":
        # The rules it combines, but not those it requires absent (`!NAME`), each tried at most once.
        tried = _tried if _tried is not None else set()
        negated = set(_NEGATED.findall(found.source))
        for sub in dict.fromkeys(_NAME.findall(found.source)):
            if sub in negated or sub in tried or sub not in rules or len(tried) >= _META_BUDGET:
                continue
            tried.add(sub)
            m = find_match(rules, sub, texts, depth + 1, tried)
            if m is not None:
                return m
        return None
    pattern = perl_regex(found.source)
    if pattern is None:
        return None
    parts: Iterable[tuple[str, str]]
    if found.kind == "body":
        # SpamAssassin's body text starts with the subject line.
        parts = (("subject", texts.subject), ("body", texts.body))
    elif found.kind == "rawbody":
        parts = (("rawbody", texts.raw),)
    elif found.kind == "uri":
        parts = ((f"uri:{i}", u) for i, u in enumerate(texts.uris))
    else:
        header = found.header or ""
        parts = ((header.lower(), v) for k, v in texts.headers.items() if k.lower() == header.lower())
    for part, text in parts:
        # Body and raw-body rules run on one line (paragraph) at a time, as SpamAssassin runs them.
        lines = _lines(text) if found.kind in ("body", "rawbody") else [(0, text)]
        for offset, line in lines:
            hit = pattern.search(line)
            if hit is None or (hit.end() == hit.start() and found.kind != "uri"):
                continue
            matched = hit.group(0)
            lead = len(matched) - len(matched.lstrip())
            shown = matched.strip() or line
            return Match(part, offset + hit.start() + lead, offset + hit.end(), from_bytes_text(shown))
    return None


def _lines(text: str) -> list[tuple[int, str]]:
    """The non-blank lines of a text with their offsets."""
    out = []
    offset = 0
    for line in text.split("\n"):
        if line.strip():
            out.append((offset, line))
        offset += len(line) + 1
    return out
