"""A template as rendered before inlining in, every use of a Can I email feature with its offset out.

One pass over the <style> blocks, inline styles, elements and attributes the designer wrote; `Scanner.at`
turns an offset back into the file and line the designer edits (see features.py for the whole story).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import unescape
from pathlib import Path
from typing import TYPE_CHECKING

from kmsg_authoring.compile.types import MARK_ATTR
from kmsg_authoring.errors import Location
from kmsg_authoring.lint.caniemail import Data, load
from kmsg_authoring.lint.scan_memo import (
    norm_value,
    related,
    features_of,
    memo_for,
    ALL_MEDIA,
    AT_RULE,
    CSS,
    HTML,
    IMAGE,
    SELECTOR,
    Use,
    Memo,
)

if TYPE_CHECKING:
    from kmsg_authoring.compile.types import CompiledTemplate

# What a use is about: the rule that reports it.

_ATTR = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""")
_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.DOTALL)
_MSO_OPEN = re.compile(r"\A\[if\s+([^\]]*)\]>", re.IGNORECASE)
_MSO_CLOSE = re.compile(r"<!\[endif\]\s*\Z", re.IGNORECASE)
_MEDIA_FEATURE = re.compile(r"\(\s*([a-z-]+)\s*[:)]")
_PSEUDO = re.compile(r"::?[a-z-]+")
_SIMPLE = re.compile(r"\\.|\[[^\]]*\]|\([^)]*\)|::?[a-z-]+|[.#][\w-]+|\*|[a-z][\w-]*|&", re.IGNORECASE)
_MARK_AFTER_NAME = re.compile(rf'\s{MARK_ATTR}="([^"]*)"')  # where the compiler puts an element's mark
_STOP = re.compile(r"[{};]")


class Scanner:
    """One pass over a rendered template, collecting Uses."""

    def __init__(self, compiled: CompiledTemplate, data: Data | None, read_css: dict[str, list[str]]) -> None:
        self.compiled = compiled
        self.html = compiled.rendered
        self._data = data
        self.uses: list[Use] = []
        self.css_files = read_css  # project-relative stylesheet -> its lines
        self._line_index: dict[str, list[tuple[str, int]]] | None = None
        self._located: dict[int, Location] = {}
        self.in_body = False  # past the <body> start tag
        # MJML: the elements MRML made. Their CSS and attributes are reported only where a value the
        # designer gave the component (or its mj-attributes) produced them, and there.
        self.origins = compiled.source_map.origins
        self._component: int | None = None  # the MJML component whose HTML the scan is in
        self._made: int | None = None  # set while scanning an element MRML made: its component
        self._subject: tuple[str, str] = ("", "")  # the property or attribute being judged, and its value
        self._memo = memo_for(data) if data is not None else None

    @property
    def data(self) -> Data:
        """The Can I email data (loaded only when something is scanned, not to locate)."""
        if self._data is None:
            self._data = load()
        return self._data

    @property
    def memo(self) -> Memo:
        """The per-process record of texts already scanned with this data."""
        if self._memo is None:
            self._memo = memo_for(self.data)
        return self._memo

    # -- locations ---------------------------------------------------------------------------------
    def at(self, offset: int) -> Location:
        """Where the designer wrote the character at an offset of the rendered HTML (memoised).

        Locating is the costly part of a scan, so it is done only for the uses that are reported.
        """
        found = self._located.get(offset)
        if found is None:
            found = self._located[offset] = self._at(offset)
        return found

    def _at(self, offset: int) -> Location:
        """Where the designer wrote the character at an offset of the rendered HTML.

        Stylesheets included with Jinja or <link rel=stylesheet> carry no element markers; their
        lines are found by their text in the template's stylesheet files.
        """
        loc = self.compiled.source_map.locate(self.html, offset)
        line_start = self.html.rfind("\n", 0, offset) + 1
        line_end = self.html.find("\n", offset)
        text = self.html[line_start : line_end if line_end >= 0 else len(self.html)]
        found = self._in_stylesheet(text.strip())
        if found is not None:
            path, line = found
            source = self.css_files[path][line - 1]
            indent = len(source) - len(source.lstrip())
            return Location(path, line, offset - line_start - (len(text) - len(text.lstrip())) + indent + 1)
        return loc or self.compiled.body_location

    def _in_stylesheet(self, text: str) -> tuple[str, int] | None:
        if not self.css_files or not text:
            return None
        if self._line_index is None:
            self._line_index = {}
            for path, lines in self.css_files.items():
                for i, line in enumerate(lines, 1):
                    self._line_index.setdefault(line.strip(), []).append((path, i))
        hits = self._line_index.get(text)
        return hits[0] if hits else None

    def add(
        self, features: Sequence[str], kind: str, what: str, offset: int, mso: bool | None, media: tuple[str, ...] = ()
    ) -> None:
        where = None
        if self._made is not None:
            where = self._attribution()
            if where is None:
                return  # MJML's own output, which the designer cannot change
        for slug in features:
            self.uses.append(Use(slug, kind, what, offset, mso, media, where=where))

    def _attribution(self) -> Location | None:
        """The component attribute (or mj-attributes default) whose value MRML wrote here, if any."""
        name, value = self._subject
        written = norm_value(value)
        chain: list[int] = []
        at = self._made
        while at is not None and at in self.origins and at not in chain:
            chain.append(at)
            at = self.origins[at][0]
        given = [a for c in chain for a in self.origins[c][1]]
        values = [(attr, norm_value(v), where) for attr, v, where in given]
        # The attribute that names this property and whose value is in it; else one with this very value.
        for attr, v, where in values:
            if v and related(attr, name) and v in written:
                return where
        # A bare length or number (0px, 100%) is too common in MRML's own CSS to tell who wrote it.
        return next((where for _, v, where in values if v and v == written and not _LENGTH.match(v)), None)

    # -- HTML --------------------------------------------------------------------------------------
    def scan_html(self, start: int, end: int, mso: bool | None, tokens: Sequence[re.Match[str]] | None = None) -> None:
        """The elements, attributes and stylesheets between two offsets (`tokens`: the lexer's
        matches over that range when already at hand)."""
        from kmsg_authoring.lint.context import TAG_LEX

        self.memo.trim()
        not_mso = False
        for m in TAG_LEX.finditer(self.html, start, end) if tokens is None else tokens:
            text = m.group(0)
            if text.startswith("<!--"):
                inner = text[4:-3] if text.endswith("-->") else text[4:]
                cond = _MSO_OPEN.match(inner)
                close = _MSO_CLOSE.search(inner) if cond is not None else None
                if cond is not None and close is not None:
                    expr = cond.group(1).replace(" ", "").lower()
                    if "mso" in expr and not expr.startswith("!"):
                        self.scan_html(m.start() + 4 + cond.end(), m.start() + 4 + close.start(), True)
                elif cond is not None and cond.group(1).replace(" ", "").lower().startswith("!mso"):
                    not_mso = True  # <!--[if !mso]><!--> ... <!--<![endif]-->: hidden from Outlook
                elif inner.startswith("<![endif]"):
                    not_mso = False
                continue
            scope = mso if mso is not None else (False if not_mso else None)
            if m.lastgroup == "raw_text":
                tag = m.group("raw").lower()
                self.element(tag, m.group("raw_attrs"), m.start("raw_attrs"), m.start(), scope)
                if tag == "style":
                    if self.origins:
                        # MJML: what MRML made is judged by the component that made it, never replayed.
                        own = re.search(rf'{MARK_ATTR}="(\d+)"', m.group("raw_attrs"))
                        self._made = self._made_by(own.group(1) if own else None)
                        try:
                            self.scan_css(m.start("raw_text"), m.end("raw_text"), scope)
                        finally:
                            self._made = None
                    else:
                        self.stylesheet(m.start("raw_text"), m.end("raw_text"), scope)
            elif m.lastgroup == "start":
                name = m.group("start")
                tag = name.lower()
                self.in_body = self.in_body or tag == "body"
                self.start_tag(tag, text, m.start(), len(name) + 1, scope)

    def start_tag(self, tag: str, text: str, at: int, skip: int, mso: bool | None) -> None:
        """The uses of a start tag (its text from '<' to '>', the attributes from `skip`).

        The same tag text (apart from the element's mark) gives the same uses, so they are
        recorded once per process and replayed, shifted, for every later copy.
        """
        m = _MARK_AFTER_NAME.match(text, skip) if not self.origins else None
        if m is None:  # no mark where the compiler puts it (or MJML's, judged by origin): read it as it is
            self.element(tag, text[skip:], at + skip, at, mso)
            return
        cut, cut_len, mark = m.start(), m.end() - m.start(), m.group(1)
        key = (tag, text[:cut] + text[m.end() :])
        memo = self.memo
        recorded = memo.tags.get(key)
        if recorded is None:
            first = len(self.uses)
            self.element(tag, text[skip:], at + skip, at, mso)
            memo.tags[key] = tuple(
                (u.feature, u.kind, u.what, -1 if u.offset == at else u.offset - at - cut_len, u.media, u.inside)
                for u in self.uses[first:]
            )
            return
        append = self.uses.append
        for feature, kind, what, rel, media, inside in recorded:
            if rel < 0:
                append(Use(feature, kind, what, at, mso, media, inside, mark))
            else:
                append(Use(feature, kind, what, at + rel + cut_len, mso, media, inside))

    def stylesheet(self, start: int, end: int, mso: bool | None) -> None:
        """The uses of a <style> block's text, recorded once per process per distinct text."""
        memo = self.memo
        css = self.html[start:end]
        recorded = memo.sheets.get(css)
        if recorded is None:
            first = len(self.uses)
            self.scan_css(start, end, mso)
            memo.sheets[css] = tuple(
                (u.feature, u.kind, u.what, u.offset - start, u.media, u.inside) for u in self.uses[first:]
            )
            return
        append = self.uses.append
        for feature, kind, what, rel, media, inside in recorded:
            append(Use(feature, kind, what, start + rel, mso, media, inside))

    def element(self, tag: str, attrs_text: str, base: int, at: int, mso: bool | None) -> None:
        attrs: dict[str, tuple[str, int]] = {}
        for a in _ATTR.finditer(attrs_text):
            group = next((g for g in (2, 3, 4) if a.group(g) is not None), None)
            value = a.group(group) if group else ""
            attrs.setdefault(a.group(1).lower(), (value, base + (a.start(group) if group else a.start())))
        mark = attrs.pop(MARK_ATTR, (None, 0))[0]
        made = self._made_by(mark)
        if made is not None:
            self._made = made
            try:
                self._element_uses(tag, attrs, at, mso, None)
            finally:
                self._made = None
            return
        self._element_uses(tag, attrs, at, mso, mark)

    def _made_by(self, mark: str | None) -> int | None:
        """The MJML component an element was made for by MRML (None: the designer wrote it)."""
        if not self.origins:
            return None
        if mark is not None and mark.isdigit() and int(mark) in self.origins:
            self._component = int(mark)
            return self._component
        return self._component if mark is None and self._component is not None else None

    def _element_uses(
        self, tag: str, attrs: dict[str, tuple[str, int]], at: int, mso: bool | None, mark: str | None
    ) -> None:
        data = self.data
        for attr, value, slug in data.elements.get(tag, ()):
            if self._made is not None:
                continue  # the elements MRML writes are MJML's choice, not the designer's
            if attr is None or attrs.get(attr, ("", 0))[0].strip().lower() == value:
                shown = f"<{tag}>" if attr is None else f'<{tag} {attr}="{value}">'
                inside = "body" if tag == "style" and self.in_body else ""
                self.uses.append(Use(slug, HTML, "<style> in <body>" if inside else shown, at, mso, (), inside, mark))
        for name, (value, offset) in attrs.items():
            found = data.attributes.get(name)
            if found:
                self._subject = (name, value)
                self.add(found, HTML, f"{name} attribute", offset, mso)
            if name == "style":
                # Entities are decoded as the browser does (columns after one shift by its length).
                self.scan_declarations(unescape(value) if "&" in value else value, offset, mso, ())
        href = attrs.get("href")
        if tag == "a" and href is not None:
            for prefix, slug in data.hrefs:
                if href[0].strip().lower().startswith(prefix):
                    self._subject = ("href", href[0])
                    self.add((slug,), HTML, f'href="{prefix}..."', href[1], mso)
        for name in ("src", "background"):
            if name in attrs and (tag in ("img", "input", "source") or name == "background"):
                self._subject = (name, attrs[name][0])
                self.image(attrs[name][0], attrs[name][1], mso, ())
        if "srcset" in attrs:
            self._subject = ("srcset", attrs["srcset"][0])
            for candidate in attrs["srcset"][0].split(","):
                self.image(candidate.strip().split(" ")[0], attrs["srcset"][1], mso, ())

    def image(self, url: str, offset: int, mso: bool | None, media: tuple[str, ...]) -> None:
        url = url.strip()
        keys: list[str] = []
        if url[:5].lower() == "data:":
            head = url[5 : url.find(",")] if "," in url else url[5:]
            parts = head.lower().split(";")
            keys = [parts[0], *(["base64"] if "base64" in parts[1:] else [])]
        elif url and "{" not in url:
            path = url.split("?", 1)[0].split("#", 1)[0]
            suffix = Path(path).suffix.lower().lstrip(".")
            keys = [suffix] if suffix else []
        for key in keys:
            found = self.data.images.get(key)
            if found:
                self.add(
                    found, IMAGE, key if key == "base64" else f".{key}" if "/" not in key else key, offset, mso, media
                )

    # -- CSS ---------------------------------------------------------------------------------------
    def scan_css(self, start: int, end: int, mso: bool | None) -> None:
        """The rules of a stylesheet: at-rules, selectors and declarations, nested @media tracked."""
        css = _COMMENT.sub(lambda m: " " * len(m.group(0)), self.html[start:end])
        stack: list[tuple[str, tuple[str, ...]]] = []  # ("rule" | "at" | "decl-at" | "keyframes", media)
        pos = 0
        for m in _STOP.finditer(css):
            char = m.group(0)
            media = stack[-1][1] if stack else ()
            inside = stack[-1][0] if stack else None
            chunk = css[pos : m.start()]
            lead = len(chunk) - len(chunk.lstrip())
            text, at = chunk.strip(), start + pos + lead
            pos = m.end()
            if char == "{":
                if text.startswith("@"):
                    kind, media = self.at_rule(text, at, mso, media)
                    stack.append((kind, media))
                elif inside == "keyframes":
                    stack.append(("frame", media))
                else:
                    if text and inside not in ("decl-at",):
                        self.selectors(text, at, mso, media)
                    stack.append(("rule", media))
            elif char == ";":
                if text.startswith("@"):
                    self.at_rule(text, at, mso, media)
                elif text and inside in ("rule", "frame", "decl-at"):
                    self.scan_declarations(text, at, mso, media, whole=True)
            else:  # "}"
                if text and inside in ("rule", "frame", "decl-at"):
                    self.scan_declarations(text, at, mso, media, whole=True)
                if stack:
                    stack.pop()

    def at_rule(self, text: str, at: int, mso: bool | None, media: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
        name = re.match(r"@([\w-]+)", text)
        keyword = name.group(1).lower() if name else ""
        data = self.data
        if keyword == "media":
            self.add(data.media, AT_RULE, "@media", at, mso, media)
            inner: list[str] = [ALL_MEDIA]
            for f in _MEDIA_FEATURE.finditer(text.lower()):
                found = data.media_features.get(f.group(1))
                if found:
                    self.add(found, AT_RULE, " ".join(text.split())[:60], at, mso, media)
                    inner.append(f.group(1))
            return "at", (*media, *inner)
        found = data.at_rules.get(keyword)
        if found:
            self.add(found, AT_RULE, f"@{keyword}", at, mso, media)
        if keyword in ("keyframes", "-webkit-keyframes"):
            return "keyframes", media
        return ("decl-at" if keyword in ("font-face", "page", "counter-style") else "at"), media

    def selectors(self, text: str, at: int, mso: bool | None, media: tuple[str, ...]) -> None:
        data = self.data
        groups = text.split(",")
        seen: set[str] = set()
        shown = " ".join(text.split())
        shown = shown if len(shown) <= 60 else shown[:57] + "..."

        def hit(key: str) -> None:
            if key not in seen and key in data.selectors:
                seen.add(key)
                self.add(data.selectors[key], SELECTOR, shown, at, mso, media)

        if len(groups) > 1:
            hit("grouping")
        for sel in groups:
            low = sel.strip().lower()
            for p in _PSEUDO.finditer(re.sub(r"\[[^\]]*\]|\\.", "", low)):
                hit(p.group(0))
            plain = re.sub(r"\[[^\]]*\]|\([^)]*\)", "", low)
            if "[" in low:
                hit("[attr]")
            for comb in (">", "+", "~"):
                if comb in plain:
                    hit(comb)
            if re.search(r"(?:^|[\s>+~])\*", plain):
                hit("*")
            if "&" in plain:
                hit("&")
            compounds = [c for c in re.split(r"\s*[>+~]\s*|\s+", plain) if c]
            if len(compounds) > 1 and re.search(r"[^\s>+~]\s+[^\s>+~]", plain):
                hit("descendant")
            for c in compounds:
                simple = _SIMPLE.findall(c)
                if len(simple) > 1:
                    hit("chaining")
                for s in simple:
                    if s.startswith("."):
                        hit(".class")
                    elif s.startswith("#"):
                        hit("#id")
                    elif s[0].isalpha():
                        hit("type")

    def scan_declarations(
        self, text: str, at: int, mso: bool | None, media: tuple[str, ...], whole: bool = False
    ) -> None:
        """The declarations of a rule body or a style attribute (`whole`: one declaration)."""
        pos = 0
        for decl in [text] if whole else text.split(";"):
            offset = at + pos + (len(decl) - len(decl.lstrip()))
            pos += len(decl) + 1
            prop, sep, value = decl.partition(":")
            if not sep:
                continue
            self.declaration(prop.strip().lower(), value.strip(), offset, mso, media)

    def declaration(self, prop: str, value: str, at: int, mso: bool | None, media: tuple[str, ...]) -> None:
        key = (prop, value)
        declared = self.memo.declared
        found = declared.get(key)
        if found is None:
            found = declared[key] = features_of(self.data, prop, value)
        shown, slugs, urls = found
        self._subject = (prop, value)
        self.add(slugs, CSS, shown, at, mso, media)
        for url in urls:
            self.image(url, at, mso, media)


_LENGTH = re.compile(r"\A-?[\d.]+(?:[a-z%]+)?\Z")
