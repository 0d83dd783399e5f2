"""Spam score of every template x sample x recipient: the complete message, scored by SpamAssassin, hits located.

Each template is compiled, rendered for each recipient of each of its samples into the message the
API would send (From, To, Cc, Subject, Date, Message-ID, the template's customHeaders and the HTML
body), and scored by one spamd (started here, or the one kmsg.toml names) with as many messages in
flight as spamd has children. Every rule hit comes back with its points and description; a body,
subject, raw-body or URI rule is placed at the source line of the text it matched.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, formatdate, make_msgid
from typing import TYPE_CHECKING, Any

from kmsg_authoring.errors import EXIT_FAILURE, EXIT_OK, KmsgError, Location
from kmsg_authoring.review import sarules, spamd
from kmsg_authoring.review.recipients import element_location
from kmsg_authoring.model import FROM_NAME, SUBJECT, TO_ATTRIBUTE_PATH

if TYPE_CHECKING:
    from lxml import etree

    from kmsg_authoring.compile.types import CompiledTemplate
    from kmsg_authoring.render.renderer import Rendering
    from kmsg_authoring.source.config import Config

# Elements whose text starts a new line of the text SpamAssassin's body rules read.
_BLOCKS = frozenset(
    "p div table tr td th li ul ol h1 h2 h3 h4 h5 h6 br hr blockquote center section article header footer pre".split()  # noqa: SIM905
)
_HIDDEN = frozenset(("style", "script", "head", "title"))
_SPACE = re.compile(r"\s+")
# The sender used when template.yaml has no `from` (the API then sends from the account's default).
UNKNOWN_SENDER = "sender@example.invalid"


@dataclass(frozen=True)
class RuleHit:
    """A SpamAssassin rule the message hit."""

    rule: str
    points: float
    description: str
    location: Location | None = None  # where the text it matched was written (body, subject and URI rules)
    text: str | None = None  # the text it matched

    def as_json(self) -> dict[str, Any]:
        """The hit as JSON data."""
        loc = self.location
        return {
            "rule": self.rule,
            "points": self.points,
            "description": self.description,
            "location": None if loc is None else {"path": loc.path, "line": loc.line, "col": loc.col},
            "text": self.text,
        }


@dataclass(frozen=True)
class Scored:
    """One message's score."""

    template: str
    sample: str
    recipient: str
    score: float
    threshold: float
    hits: tuple[RuleHit, ...]

    def as_json(self) -> dict[str, Any]:
        """The score as JSON data."""
        return {
            "template": self.template,
            "sample": self.sample,
            "recipient": self.recipient,
            "score": self.score,
            "threshold": self.threshold,
            "hits": [h.as_json() for h in self.hits],
        }


@dataclass
class SpamResult:
    """The scores of every message, the limit they are held to, and the templates that could not be scored."""

    templates: list[str]
    messages: list[Scored] = field(default_factory=list)
    failures: dict[str, list[KmsgError]] = field(default_factory=dict)
    max_score: float | None = None  # [deliverability] max_spam_score; None: SpamAssassin's threshold

    def limit(self, m: Scored) -> float:
        """The score a message may not exceed."""
        return m.threshold if self.max_score is None else self.max_score

    def over(self, m: Scored) -> bool:
        """Whether a message scores above its limit (at or above SpamAssassin's threshold without a max)."""
        return m.score >= m.threshold if self.max_score is None else m.score > self.max_score

    @property
    def exit_code(self) -> int:
        """1 when a message is over its limit or a template could not be scored, else 0."""
        failed = bool(self.failures) or any(self.over(m) for m in self.messages)
        return EXIT_FAILURE if failed else EXIT_OK

    def as_json(self) -> dict[str, Any]:
        """The result as JSON data."""
        return {
            "max_spam_score": self.max_score,
            "messages": [{**m.as_json(), "over_limit": self.over(m)} for m in self.messages],
            "failures": {slug: [str(e) for e in errors] for slug, errors in sorted(self.failures.items())},
        }


def message_bytes(payload: Mapping[str, Any], rendering: Rendering, *, date: str | None = None) -> bytes:
    """The complete message the API would send one recipient: headers and the HTML body."""
    msg = EmailMessage(policy=SMTP)
    sender = str(payload.get("from") or UNKNOWN_SENDER)
    msg["From"] = formataddr((rendering.from_name, sender)) if rendering.from_name else sender
    msg["To"] = rendering.to or "recipient@example.invalid"
    if payload.get("cc"):
        msg["Cc"] = str(payload["cc"])
    msg["Subject"] = rendering.subject
    msg["Date"] = date or formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "example.invalid")
    headers = payload.get("customHeaders")
    if isinstance(headers, Mapping):
        for name, value in headers.items():
            if isinstance(name, str) and re.fullmatch(r"[!-9;-~]+", name):
                msg[name] = str(value).replace("\r", " ").replace("\n", " ")
    msg.set_content(rendering.body, subtype="html", charset="utf-8", cte="quoted-printable")
    return msg.as_bytes()


def visible_text(root: etree._Element | None) -> tuple[str, list[int], list[etree._Element]]:
    """The visible text of a parsed body (blocks on their own lines) and, by offset, the element each run came from."""
    pieces: list[str] = []
    starts: list[int] = []
    owners: list[etree._Element] = []
    length = 0

    def add(text: str, owner: etree._Element) -> None:
        nonlocal length
        text = _SPACE.sub(" ", text) if text != "\n" else text
        if not text:
            return
        starts.append(length)
        owners.append(owner)
        pieces.append(text)
        length += len(text)

    def walk(el: etree._Element) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag and tag not in _HIDDEN:
            if tag in _BLOCKS:
                add("\n", el)
            if el.text:
                add(el.text, el)
            for child in el:
                walk(child)
                if child.tail:
                    add(child.tail, el)
            if tag in _BLOCKS:
                add("\n", el)

    if root is not None:
        walk(root)
    return "".join(pieces), starts, owners


class _Locator:
    """Places the hits of one recipient's message at the source text that triggered them."""

    def __init__(self, c: CompiledTemplate, clean: Rendering, marked: Rendering) -> None:
        from kmsg_authoring.compile.extract import parse_html

        self.c = c
        root = parse_html(marked.body)
        text, self.starts, self.owners = visible_text(root)
        self.links: list[tuple[str, etree._Element]] = []
        if root is not None:
            for el in root.iter("a", "area", "img", "A", "IMG"):
                value = el.get("href") if el.tag.lower() != "img" else el.get("src")
                if value:
                    self.links.append((sarules.as_bytes_text(value.strip()), el))
        # Offsets of the byte text map back to characters through the pieces' byte lengths.
        self.byte_starts = []
        total = 0
        for i, start in enumerate(self.starts):
            self.byte_starts.append(total)
            end = self.starts[i + 1] if i + 1 < len(self.starts) else len(text)
            total += len(text[start:end].encode("utf-8"))
        self.texts = sarules.Texts(
            subject=sarules.as_bytes_text(clean.subject),
            body=sarules.as_bytes_text(text),
            raw=sarules.as_bytes_text(clean.body),
            uris=[u for u, _ in self.links],
            headers={
                "Subject": sarules.as_bytes_text(clean.subject),
                "From": sarules.as_bytes_text(f"{clean.from_name} <{clean.from_email}>"),
                "To": sarules.as_bytes_text(clean.to),
            },
        )
        self.marked = marked.body

    def place(self, rules: dict[str, sarules.RuleDef], name: str) -> tuple[Location | None, str | None]:
        found = sarules.find_match(rules, name, self.texts)
        if found is None:
            return None, None
        meta = self.c.meta
        shown = found.text.strip()[:120]
        if found.part in ("subject", "from", "to"):
            field_name = {"subject": SUBJECT, "from": FROM_NAME, "to": TO_ATTRIBUTE_PATH}[found.part]
            return meta.locate(field_name), shown
        if found.part == "body":
            i = bisect.bisect_right(self.byte_starts, found.start) - 1
            return (element_location(self.c, self.owners[i]) if i >= 0 else self.c.body_location), shown
        if found.part.startswith("uri:"):
            uri, el = self.links[int(found.part[4:])]
            return element_location(self.c, el), sarules.from_bytes_text(uri)[:120]
        if found.part == "rawbody":
            # Element marks add no line: the match's line and column in the body as sent, found in the
            # marked body, fall on or after the start of the element it is in.
            line = self.texts.raw.count("\n", 0, found.start)
            col = found.end - (self.texts.raw.rfind("\n", 0, found.start) + 1)
            starts = [0, *(i + 1 for i, ch in enumerate(self.marked) if ch == "\n")]
            at = starts[line] + col if line < len(starts) else len(self.marked)
            return self.c.source_map.locate(self.marked, at) or self.c.body_location, shown
        return None, shown


def _jobs(
    config: Config, slugs: Sequence[str] | None, result: SpamResult
) -> Iterator[tuple[CompiledTemplate, str, Rendering, Rendering]]:
    """(compiled template, sample name, clean rendering, rendering with element marks) for every message."""
    from kmsg_authoring.review.recipients import recipient_messages

    return recipient_messages(config, slugs, result.templates, result.failures)


def score_templates(
    config: Config,
    slugs: Sequence[str] | None = None,
    *,
    address: tuple[str, int] | None = None,
    children: int | None = None,
    progress: Callable[[Scored], None] | None = None,
) -> SpamResult:
    """Score every recipient's message of the templates (all by default) with SpamAssassin."""
    result = SpamResult(templates=[], max_score=config.deliverability.max_spam_score)
    jobs = list(_jobs(config, slugs, result))
    if not jobs:
        return result
    workers = max(1, children or min(4, os.cpu_count() or 2))
    if address is None and config.deliverability.spamd:
        address = spamd.parse_address(config.deliverability.spamd)
        if not spamd.ping(address):
            raise spamd.SpamAssassinMissing(
                f"no spamd answers at {config.deliverability.spamd} ([deliverability] spamd in kmsg.toml)"
            )
    if address is not None:
        result.messages = _score(jobs, address, workers, progress)
    else:
        with spamd.spamd_server(children=workers) as started:
            result.messages = _score(jobs, started, workers, progress)
    return result


def _score(
    jobs: list[tuple[CompiledTemplate, str, Rendering, Rendering]],
    address: tuple[str, int],
    workers: int,
    progress: Callable[[Scored], None] | None,
) -> list[Scored]:
    rules = sarules.load_rules(tuple(spamd.rule_dirs()))
    date = formatdate(localtime=False)

    def one(job: tuple[CompiledTemplate, str, Rendering, Rendering]) -> Scored:
        c, sample, clean, marked = job
        answer = spamd.check(address, message_bytes(c.payload, clean, date=date))
        locator = _Locator(c, clean, marked)
        hits = []
        for row in sorted(answer.rows, key=lambda r: (-r.points, r.rule)):
            loc, text = locator.place(rules, row.rule)
            hits.append(RuleHit(row.rule, row.points, row.description, loc, text))
        scored = Scored(c.slug, sample, clean.user_id, answer.score, answer.threshold, tuple(hits))
        if progress:
            progress(scored)
        return scored

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, jobs))


def _loc(hit: RuleHit) -> str:
    return f"  {hit.location}" if hit.location else ""


def format_text(result: SpamResult) -> str:
    """The result as text: one block per message, every rule hit with its points, description and place."""
    lines: list[str] = []
    for m in result.messages:
        verdict = "OVER" if result.over(m) else "ok"
        limit = f"max {result.limit(m):g}" if result.max_score is not None else f"threshold {m.threshold:g}"
        lines.append(f"{m.template} / {m.sample} / {m.recipient}: {m.score:g} ({limit}) {verdict}")
        for h in m.hits:
            lines.append(f"  {h.points:5.1f} {h.rule:<24} {h.description}{_loc(h)}")
            if h.text and h.location:
                lines.append(f"        matched: {h.text!r}")
        lines.append("")
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def format_markdown(result: SpamResult) -> str:
    """The result as Markdown: a table of messages, then the hits of each."""
    lines = ["| template | sample | recipient | score | limit | verdict |", "| --- | --- | --- | ---: | ---: | --- |"]
    for m in result.messages:
        verdict = "**over**" if result.over(m) else "ok"
        who = f"{_md(m.template)} | {_md(m.sample)} | {_md(m.recipient)}"
        lines.append(f"| {who} | {m.score:g} | {result.limit(m):g} | {verdict} |")
    for m in result.messages:
        lines += ["", f"### {_md(m.template)} / {_md(m.sample)} / {_md(m.recipient)}", ""]
        lines += ["| points | rule | description | where |", "| ---: | --- | --- | --- |"]
        for h in m.hits:
            where = f"`{h.location}`" if h.location else ""
            lines.append(f"| {h.points:g} | {h.rule} | {_md(h.description)} | {where} |")
    return "\n".join(lines) + "\n"
