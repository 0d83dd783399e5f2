"""Every link and image URL of the rendered emails, resolved over the network (only when asked: `links --online`).

URLs are gathered from each recipient's rendered email (tokens filled from the samples), each with
the source line it was written on, and each distinct URL is fetched once: concurrently up to a
bound, at most a few at a time per host with a pause between requests to one host, with a timeout,
redirects followed and recorded. Answers that worked are cached for a day in the build folder, so a
second run asks only about new or broken links.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kmsg_authoring.errors import EXIT_FAILURE, EXIT_OK, KmsgError, Location

if TYPE_CHECKING:
    import httpx

    from kmsg_authoring.source.config import Config

CACHE_FILE = ".links-cache.json"
CACHE_FORMAT = 1
USER_AGENT = "kmsg-author link check"


@dataclass(frozen=True)
class LinkOptions:
    """How links are resolved."""

    concurrency: int = 8  # requests in flight at once
    per_host: int = 2  # requests in flight to one host
    host_interval: float = 0.2  # seconds between the starts of two requests to one host
    timeout: float = 15.0  # seconds for one request (each redirect included)
    slow: float = 3.0  # an answer slower than this is reported
    max_redirects: int = 10
    cache_ttl: float = 24 * 3600.0  # seconds a working answer is trusted; 0: no cache
    verify: ssl.SSLContext | bool = True  # TLS verification (a test passes its own trust store)


@dataclass
class LinkCheck:
    """What one URL answered."""

    url: str
    status: int | None = None
    final_url: str | None = None
    redirects: list[str] = field(default_factory=list)
    error: str | None = None  # connection, TLS or timeout failure
    seconds: float = 0.0
    cached: bool = False
    where: list[tuple[Location, str]] = field(default_factory=list)  # (source location, "template/sample/recipient")
    kind: str = "link"  # link or image
    bytes: int | None = None  # an image's size (Content-Length, or what was read)
    pixels: tuple[int, int] | None = None  # an image's width and height, from its first bytes
    shown_width: float | None = None  # the width an image is displayed at (its width attribute or CSS), in px

    @property
    def broken(self) -> bool:
        """A failure or an error status."""
        return self.error is not None or self.status is None or self.status >= 400

    def slow(self, limit: float) -> bool:
        """Whether it answered, but slowly."""
        return not self.broken and not self.cached and self.seconds > limit

    def as_json(self, slow_limit: float) -> dict[str, Any]:
        """The check as JSON data."""
        return {
            "url": self.url,
            "kind": self.kind,
            "status": self.status,
            "final_url": self.final_url,
            "redirects": self.redirects,
            "error": self.error,
            "seconds": round(self.seconds, 3),
            "slow": self.slow(slow_limit),
            "broken": self.broken,
            "cached": self.cached,
            "where": [{"location": str(loc), "message": who} for loc, who in self.where],
            "bytes": self.bytes,
            "pixels": list(self.pixels) if self.pixels else None,
        }


@dataclass
class LinksResult:
    """Every URL checked, and the templates that could not be rendered."""

    templates: list[str]
    checks: list[LinkCheck] = field(default_factory=list)
    failures: dict[str, list[KmsgError]] = field(default_factory=dict)
    options: LinkOptions = field(default_factory=LinkOptions)
    max_image_kb: float | None = None  # [deliverability] max_image_kb: remote images heavier are reported

    @property
    def exit_code(self) -> int:
        """1 on a broken link or a template not checked, else 0."""
        failed = bool(self.failures) or any(c.broken for c in self.checks)
        return EXIT_FAILURE if failed else EXIT_OK

    def as_json(self) -> dict[str, Any]:
        """The result as JSON data."""
        return {
            "checks": [c.as_json(self.options.slow) for c in self.checks],
            "failures": {slug: [str(e) for e in errors] for slug, errors in sorted(self.failures.items())},
        }


def collect_urls(config: Config, slugs: Sequence[str] | None, result: LinksResult) -> dict[str, LinkCheck]:
    """Every http(s) URL of the rendered emails of the templates, with where it was written."""
    from kmsg_authoring.compile.extract import parse_html
    from kmsg_authoring.lint.rules.html import URL_ATTRS
    from kmsg_authoring.lint.rules.images import displayed_width
    from kmsg_authoring.review.recipients import element_location, recipient_messages

    found: dict[str, LinkCheck] = {}
    for shown, sample, _, rendering in recipient_messages(config, slugs, result.templates, result.failures):
        root = parse_html(rendering.body)
        if root is None:
            continue
        for el in root.iter(*URL_ATTRS):
            tag = str(el.tag).lower()
            for attr in URL_ATTRS[tag]:
                url = (el.get(attr) or "").strip()
                if not url.lower().startswith(("http://", "https://")):
                    continue
                check = found.setdefault(url, LinkCheck(url, kind="image" if tag == "img" else "link"))
                if tag == "img" and check.shown_width is None:
                    check.shown_width = displayed_width(el)
                entry = (element_location(shown, el), f"{shown.slug}/{sample}/{rendering.user_id}")
                if entry not in check.where:
                    check.where.append(entry)
    return found


def _tls_error(exc: BaseException) -> str | None:
    """The TLS failure behind a connection error, if that is what it was."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return getattr(seen, "verify_message", None) or getattr(seen, "reason", None) or str(seen)
        seen = seen.__cause__ or seen.__context__
    text = str(exc)
    return text if "CERTIFICATE" in text.upper() or "SSL" in text.upper() else None


class _Politeness:
    """At most `per_host` requests in flight to a host, and `interval` seconds between their starts."""

    def __init__(self, per_host: int, interval: float) -> None:
        self.per_host, self.interval = per_host, interval
        self.gates: dict[str, asyncio.Semaphore] = {}
        self.next_start: dict[str, float] = {}
        self.lock = asyncio.Lock()

    def gate(self, host: str) -> asyncio.Semaphore:
        return self.gates.setdefault(host, asyncio.Semaphore(self.per_host))

    async def wait_turn(self, host: str) -> None:
        async with self.lock:
            now = time.monotonic()
            start = max(now, self.next_start.get(host, now))
            self.next_start[host] = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)


_IMAGE_HEAD = 64 * 1024  # bytes of a remote image read to learn its pixel size


async def _measure(answer: httpx.Response, check: LinkCheck) -> None:
    """An image's weight (Content-Length) and pixel size (from its first bytes), without downloading all of it."""
    from kmsg_authoring.lint.imageinfo import image_info

    head = b""
    async for chunk in answer.aiter_bytes():
        head += chunk
        if len(head) >= _IMAGE_HEAD:
            break
    length = answer.headers.get("content-length")
    check.bytes = int(length) if length and length.isdigit() else len(head)
    info = image_info(head, check.bytes)
    check.pixels = (info.width, info.height) if info else None


async def _fetch(client: httpx.AsyncClient, check: LinkCheck, options: LinkOptions, polite: _Politeness) -> None:
    import httpx

    url = check.url
    started = time.monotonic()
    try:
        for _ in range(options.max_redirects + 1):
            host = httpx.URL(url).host
            async with polite.gate(host):
                await polite.wait_turn(host)
                async with client.stream("GET", url) as answer:
                    status = answer.status_code
                    location = answer.headers.get("location")
                    if check.kind == "image" and status == 200:
                        await _measure(answer, check)
            if status in (301, 302, 303, 307, 308) and location:
                url = str(httpx.URL(url).join(location))
                check.redirects.append(url)
                continue
            check.status = status
            check.final_url = url
            break
        else:
            check.error = f"more than {options.max_redirects} redirects"
    except httpx.TimeoutException:
        check.error = f"no answer within {options.timeout:g} s"
    except httpx.HTTPError as exc:
        tls = _tls_error(exc)
        check.error = f"TLS error: {tls}" if tls else f"connection failed: {exc or type(exc).__name__}"
    except ValueError as exc:  # a URL httpx cannot parse
        check.error = f"not a URL httpx can fetch ({exc})"
    check.seconds = time.monotonic() - started


async def _fetch_all(
    checks: Sequence[LinkCheck], options: LinkOptions, progress: Callable[[LinkCheck], None] | None
) -> None:
    import httpx

    polite = _Politeness(options.per_host, options.host_interval)
    bound = asyncio.Semaphore(options.concurrency)
    async with httpx.AsyncClient(
        timeout=options.timeout,
        verify=options.verify,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        limits=httpx.Limits(max_connections=options.concurrency),
        trust_env=False,
    ) as client:

        async def one(check: LinkCheck) -> None:
            async with bound:
                await _fetch(client, check, options, polite)
            if progress:
                progress(check)

        await asyncio.gather(*(one(c) for c in checks))


def _load_cache(path: Path, ttl: float) -> dict[str, dict[str, Any]]:
    if ttl <= 0:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # no cache, or an unreadable one: every URL is asked again
    if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT or not isinstance(data.get("urls"), dict):
        return {}
    now = time.time()
    return {
        url: entry
        for url, entry in data["urls"].items()
        if isinstance(entry, dict) and isinstance(entry.get("at"), (int, float)) and now - entry["at"] < ttl
    }


def _save_cache(path: Path, entries: Mapping[str, dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"format": CACHE_FORMAT, "urls": dict(entries)}, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def check_links(
    config: Config,
    slugs: Sequence[str] | None = None,
    *,
    options: LinkOptions | None = None,
    progress: Callable[[LinkCheck], None] | None = None,
) -> LinksResult:
    """Resolve every link and image URL of the templates (all by default)."""
    options = options or LinkOptions()
    result = LinksResult(templates=[], options=options, max_image_kb=config.deliverability.max_image_kb)
    found = collect_urls(config, slugs, result)
    cache_path = config.build_dir / CACHE_FILE
    cache = _load_cache(cache_path, options.cache_ttl)
    todo = []
    for url, check in found.items():
        entry = cache.get(url)
        if entry is not None:
            check.status, check.final_url = entry.get("status"), entry.get("final_url")
            check.redirects, check.cached = list(entry.get("redirects") or []), True
            check.bytes = entry.get("bytes")
            pixels = entry.get("pixels")
            check.pixels = (int(pixels[0]), int(pixels[1])) if isinstance(pixels, list) and len(pixels) == 2 else None
        else:
            todo.append(check)
    if todo:
        asyncio.run(_fetch_all(todo, options, progress))
    result.checks = sorted(found.values(), key=lambda c: (not c.broken, c.url))
    if options.cache_ttl > 0:
        now = time.time()
        for check in todo:
            if not check.broken:
                cache[check.url] = {
                    "bytes": check.bytes,
                    "pixels": check.pixels,
                    "status": check.status,
                    "final_url": check.final_url,
                    "redirects": check.redirects,
                    "at": now,
                }
        _save_cache(cache_path, cache)
    return result


def format_text(result: LinksResult) -> str:
    """One line per URL and place: broken ones first, then slow answers and redirects; quiet about the rest."""
    lines: list[str] = []
    for c in result.checks:
        found: list[tuple[str, str]] = []
        if c.broken:
            found.append(("broken", c.error or f"HTTP {c.status}"))
        if c.slow(result.options.slow):
            found.append(("slow", f"answered in {c.seconds:.1f} s (over {result.options.slow:g} s)"))
        heavy = result.max_image_kb
        if c.kind == "image" and c.bytes is not None and heavy is not None and c.bytes > heavy * 1024:
            found.append(("heavy", f"weighs {c.bytes / 1024:.0f} KB (> {heavy:g} KB [deliverability] max_image_kb)"))
        if c.pixels and c.shown_width:
            from kmsg_authoring.lint.rules.images import RETINA_MAX, RETINA_MIN

            ratio = c.pixels[0] / c.shown_width
            if not RETINA_MIN <= ratio <= RETINA_MAX:
                found.append(
                    (
                        "resolution",
                        f"is {c.pixels[0]} px wide, shown at {c.shown_width:g} px ({ratio:.1f}x; "
                        f"{RETINA_MIN:g}x to {RETINA_MAX:g}x is right for high-density screens)",
                    )
                )
        if c.redirects and not c.broken:
            found.append(("redirect", f"redirects to {c.final_url} (HTTP {c.status})"))
        more = f" (and {len(c.where) - 1} more)" if len(c.where) > 1 else ""
        for verdict, what in found:
            loc, who = c.where[0]
            lines.append(f"{loc}: {verdict}: {c.kind} {c.url} {what} [{who}{more}]")
    broken = sum(c.broken for c in result.checks)
    lines.append(f"{len(result.checks)} URL(s) checked, {broken} broken")
    return "\n".join(lines) + "\n"
