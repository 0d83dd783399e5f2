"""The live preview's state and request handling, without sockets.

Modelled on mkdocs' livereload: every rebuild round is counted by an epoch; a page remembers the
epoch it was made at and long-polls until its template has a newer one; file events are debounced
by the caller; a failed build leaves the last good output up with an overlay naming the file and
line; request paths are normalised and confined so no URL reads a file outside the project.
"""

from __future__ import annotations

import json
import mimetypes
import posixpath
import threading
from contextlib import contextmanager
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from kmsg_authoring.errors import ConfigError, KmsgError, SourceError
from kmsg_authoring.preview.pages import (
    ContractView,
    Finding,
    IndexRow,
    RecipientView,
    TemplateView,
    finding_from,
    index_page,
    not_found_page,
    template_page,
)
from kmsg_authoring.preview.watcher import is_scratch
from kmsg_authoring.render.renderer import QrEncoder, Rendering, locate_unresolved, render_sample, segno_qr
from kmsg_authoring.source.project import TEMPLATE_FILE, discover

if TYPE_CHECKING:
    from kmsg_authoring.build import BuildReport
    from kmsg_authoring.compile.types import CompiledTemplate
    from kmsg_authoring.source.config import Config
    from kmsg_authoring.render.samples import Sample

STATIC_DIR = Path(__file__).resolve().parent / "static"
POLL_TIMEOUT = 25.0  # seconds a long poll waits before answering with the unchanged epoch

Builder = Callable[["Config", list[str]], "BuildReport"]


@dataclass(frozen=True)
class Rebuilt:
    """One rebuild round, for the terminal: which templates, how long, and every error found."""

    slugs: tuple[str, ...]
    seconds: float
    problems: tuple[Any, ...]  # lint Problems of severity error, compile and sample errors included
    crashed: str = ""  # an unexpected failure of the rebuild itself

    @property
    def errors(self) -> int:
        """How many errors the round found."""
        return len(self.problems) + (1 if self.crashed else 0)


def default_builder(config: Config, slugs: list[str]) -> BuildReport:
    """Compile, lint and check samples of the given templates, writing nothing."""
    from kmsg_authoring.build import build_project

    return build_project(config, slugs, write=False, use_cache=False, lint=True)


@dataclass(frozen=True)
class Response:
    """What the server sends back."""

    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def _html(status: int, text: str, *headers: tuple[str, str]) -> Response:
    return Response(status, "text/html; charset=utf-8", text.encode("utf-8"), headers)


def internal_error(exc: Exception) -> Response:
    """A 500 page naming an unexpected failure, instead of a traceback."""
    from html import escape

    text = f"preview failed unexpectedly: {type(exc).__name__}: {exc}"
    return _html(500, f"<!DOCTYPE html><meta charset=\"utf-8\"><title>Error</title><p>{escape(text)}</p>\n")


@dataclass
class TemplateState:
    """What the preview knows about one template."""

    slug: str
    compiled: CompiledTemplate | None = None  # the last good build
    errors: list[KmsgError] = field(default_factory=list)  # why the latest build (or its samples) failed
    findings: list[Finding] = field(default_factory=list)
    built_at: float | None = None
    epoch: int = 0  # the site epoch this template last changed at
    deps: frozenset[str] = frozenset()
    # A template built per locale: each locale's last build (compiled is the default locale's).
    locales: dict[str, CompiledTemplate] = field(default_factory=dict)


def safe_join(base: Path, url_path: str) -> Path | None:
    """The file under base a URL path names, or None when it would leave base (.., absolute, encoded)."""
    path = unquote(url_path)
    if "\\" in path or "\x00" in path:
        return None
    norm = posixpath.normpath("/" + path).lstrip("/")
    if not norm or norm == "." or any(part in ("..", "") for part in norm.split("/")) or path.startswith("/"):
        return None
    candidate = (base / norm).resolve()
    if not candidate.is_relative_to(base.resolve()) or not candidate.is_file():
        return None
    return candidate


class PreviewSite:
    """Builds templates, keeps the last good output of each, and answers preview requests."""

    def __init__(self, config: Config, *, builder: Builder = default_builder,
                 clock: Callable[[], float] = time.time, qr_encoder: QrEncoder = segno_qr,
                 poll_timeout: float = POLL_TIMEOUT,
                 on_rebuild: Callable[[Rebuilt], None] | None = None, thumbnails: Any = None) -> None:
        self.config = config
        self.on_rebuild = on_rebuild
        self.thumbnails = thumbnails  # review.thumbs.Thumbnails: live snapshots and their changes, or None
        self.builder = builder
        self.clock = clock
        self.qr_encoder = qr_encoder
        self.poll_timeout = poll_timeout
        self.epoch = 0
        self.templates: dict[str, TemplateState] = {}
        self.site_errors: list[KmsgError] = []
        self._gone: dict[str, int] = {}  # slug -> epoch it disappeared at
        self._cond = threading.Condition()
        self._closed = False
        self._renders: dict[tuple[str, int, str | None, str | None], tuple[Sample, list[Rendering]]] = {}

    # -- building ---------------------------------------------------------------------------------
    def build_all(self) -> set[str]:
        """Discover every template and build it (the first build, or after kmsg.toml changed)."""
        slugs = set(discover(self.config.src_dir))
        with self._cond:
            for gone in set(self.templates) - slugs:
                del self.templates[gone]
        self._rebuild(slugs)
        return slugs

    def _rebuild(self, slugs: set[str]) -> None:
        from kmsg_authoring.project_lint import build_problems

        ordered = sorted(slugs)
        started = time.perf_counter()
        report = self.builder(self.config, ordered) if ordered else None
        seconds = time.perf_counter() - started
        now = self.clock()
        # Every finding as lint reports it (compile and sample errors as KM001 and KM002), so the
        # header, the Lint tab and the terminal count the same things.
        problems = build_problems(self.config, report, ordered) if report is not None else []
        with self._new_epoch() as epoch:
            for slug in ordered:
                assert report is not None
                state = self.templates.get(slug) or TemplateState(slug)
                keys = report.keys([slug])
                localized = {report.variants[k][1]: report.compiled[k] for k in keys
                             if k in report.variants and k in report.compiled}
                compiled = report.compiled.get(slug) or localized.get(self.config.default_locale)
                failures = [e for k in keys for e in report.failures.get(k, [])]
                if compiled is not None:
                    state.locales = localized
                    state.compiled = compiled
                    # Every locale's build: editing one catalog rebuilds the templates that use it.
                    state.deps = frozenset(compiled.dependencies).union(
                        *(c.dependencies for c in localized.values()))
                    # Lint errors are counted among the findings; the overlay is for what stops the
                    # preview being right: compile, YAML and sample errors.
                    state.errors = [e for e in failures if isinstance(e, SourceError)]
                else:
                    state.errors = list(failures) or [KmsgError("the template did not build")]
                state.findings = [finding_from(p) for p in problems if p.template == slug]
                state.built_at = now
                state.epoch = epoch
                self.templates[slug] = state
                self._gone.pop(slug, None)
            self._renders = {k: v for k, v in self._renders.items() if k[0] not in slugs}
        if self.on_rebuild is not None and ordered:
            self.on_rebuild(Rebuilt(tuple(ordered), seconds, tuple(p for p in problems if p.is_error)))
        if self.thumbnails is not None:
            self.thumbnails.refresh(s for s in ordered if self.templates[s].compiled is not None)

    def on_thumbnails(self, slugs: Iterable[str]) -> None:
        """New snapshots of these templates were taken: their pages and the index reload."""
        with self._new_epoch() as epoch:
            for slug in slugs:
                if slug in self.templates:
                    self.templates[slug].epoch = epoch

    def _drop(self, slugs: Iterable[str]) -> None:
        with self._new_epoch() as epoch:
            for slug in slugs:
                self.templates.pop(slug, None)
                self._gone[slug] = epoch

    @contextmanager
    def _new_epoch(self) -> Iterator[int]:
        """Hold the lock and count a new epoch for the block's changes; the waiting pages wake when it ends."""
        with self._cond:
            self.epoch += 1
            yield self.epoch
            self._cond.notify_all()

    def _show_site_error(self, error: KmsgError) -> None:
        """Show an error on every page (a new epoch for all of them)."""
        with self._new_epoch() as epoch:
            self.site_errors = [error]
            for state in self.templates.values():
                state.epoch = epoch

    def affected(self, paths: Iterable[str]) -> tuple[set[str], bool]:
        """(templates to rebuild, whether the set of templates may have changed) for changed project paths."""
        src = self.config.rel(self.config.src_dir)
        rebuild: set[str] = set()
        rescan = False
        for rel in paths:
            if is_scratch(rel):
                continue
            for slug, state in self.templates.items():
                if rel in state.deps:
                    rebuild.add(slug)
            if not rel.startswith(src + "/"):
                continue
            parts = rel[len(src) + 1:].split("/")
            top = parts[0]
            if len(parts) == 1:
                rescan = True  # a folder (or file) appeared or went at the top of the source folder
            elif top.startswith(("_", ".")):
                # A shared layout, partial or stylesheet: a template that never built has no known
                # dependencies, so it is tried again.
                rebuild.update(s for s, st in self.templates.items() if st.compiled is None)
            else:
                if top in self.templates:
                    rebuild.add(top)  # anything in a template's folder: template.yaml, body, samples
                if top not in self.templates or parts[1:] == [TEMPLATE_FILE]:
                    rescan = True
        return rebuild, rescan

    def on_change(self, paths: Iterable[str]) -> set[str]:
        """React to changed files (project-relative): rebuild what depends on them. Returns the rebuilt slugs."""
        paths = set(paths)
        if "kmsg.toml" in paths:
            return self._reload_config()
        rebuild, rescan = self.affected(paths)
        if rescan:
            present = set(discover(self.config.src_dir))
            removed = set(self.templates) - present
            if removed:
                self._drop(removed)
            rebuild = (rebuild & present) | (present - set(self.templates))
        if rebuild:
            self._rebuild(rebuild)
        return rebuild

    def on_paths(self, paths: Iterable[str | Path]) -> set[str]:
        """on_change for absolute paths as a watcher reports them."""
        rels = set()
        for p in paths:
            path = Path(p)
            rels.add(self.config.rel(path) if path.is_absolute() else str(p))
        return self.on_change(rels)

    def _reload_config(self) -> set[str]:
        from kmsg_authoring.source.config import load_config

        try:
            self.config = load_config(self.config.root)
        except ConfigError as exc:
            self._show_site_error(exc)
            return set()
        with self._cond:
            self.site_errors = []
        return self.build_all()

    def report_crash(self, exc: Exception) -> None:
        """Show an unexpected failure of a rebuild on every page; the server keeps running."""
        self._show_site_error(KmsgError(f"rebuild failed unexpectedly: {type(exc).__name__}: {exc}"))
        if self.on_rebuild is not None:
            self.on_rebuild(Rebuilt((), 0.0, (), crashed=str(self.site_errors[0])))

    # -- live reload -------------------------------------------------------------------------------
    def current(self, slug: str | None) -> int:
        """The epoch a page shows: the template's last change, or the site's for the index."""
        if slug is None:
            return self.epoch
        state = self.templates.get(slug)
        return state.epoch if state is not None else self._gone.get(slug, 0)

    def wait(self, since: int, slug: str | None, timeout: float | None = None) -> int:
        """Block until the page's epoch differs from since (or timeout); the epoch then."""
        deadline = time.monotonic() + (self.poll_timeout if timeout is None else timeout)
        with self._cond:
            while self.current(slug) == since and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return self.current(slug)

    def close(self) -> None:
        """Release every waiting long poll."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    # -- rendering ---------------------------------------------------------------------------------
    def renderings(self, state: TemplateState, sample_name: str | None,
                   locale: str | None = None) -> tuple[Sample, list[Rendering]]:
        """The sample and each recipient's rendering of a template's last good build (cached per build),
        in a locale of a template built per locale (None: the sample's locale, else the default)."""
        from kmsg_authoring.render.samples import load_sample

        assert state.compiled is not None
        key = (state.slug, state.epoch, sample_name, locale)
        cached = self._renders.get(key)
        if cached is None:
            sample = load_sample(self.config, state.compiled, sample_name)
            compiled = self.in_locale(state, locale or sample.locale)
            cached = (sample, render_sample(compiled, sample, qr_encoder=self.qr_encoder))
            with self._cond:
                self._renders[key] = cached
        return cached

    @staticmethod
    def in_locale(state: TemplateState, locale: str | None) -> CompiledTemplate:
        """A template's last good build in a locale (the default one when not built in that locale)."""
        assert state.compiled is not None
        return state.locales.get(locale, state.compiled) if locale else state.compiled

    # -- requests ----------------------------------------------------------------------------------
    def handle(self, raw_path: str) -> Response:
        """Answer a GET request for a URL path (with query)."""
        url = urlsplit(raw_path)
        query = parse_qs(url.query)
        path = url.path
        try:
            if path in ("/", "/index.html"):
                return self._index()
            if path == "/livereload":
                return self._livereload(query)
            if path.startswith("/static/"):
                return self._static(path[len("/static/"):])
            if path == "/favicon.ico":
                return Response(204, "image/x-icon", b"")
            if path.startswith("/t/"):
                return self._template_route(path[len("/t/"):], query)
            if path.startswith("/snapshots/") and self.thumbnails is not None:
                return self._snapshot_file(path[len("/snapshots/"):])
        except (ValueError, KeyError):
            pass
        return self._not_found("No such page.")

    def _not_found(self, message: str, slug: str | None = None) -> Response:
        return _html(404, not_found_page(message, self.current(slug), slug))

    def _index(self) -> Response:
        with self._cond:
            rows = [
                IndexRow(slug, str((s.compiled.payload.get("name") if s.compiled else None) or slug),
                         list(s.errors), list(s.findings), s.built_at,
                         translations=translation_status(s.locales))
                for slug, s in sorted(self.templates.items())
            ]
            epoch = self.epoch
            site_errors = list(self.site_errors)
        if self.thumbnails is not None:
            rows = [replace(row, thumbnail=self.thumbnails.thumbnail(row.slug)) for row in rows]
        return _html(200, index_page(rows, epoch, site_errors), ("Cache-Control", "no-store"))

    def _snapshot_file(self, rest: str) -> Response:
        which, _, rel = rest.partition("/")
        folder = self.thumbnails.folder(which) if self.thumbnails is not None else None
        path = safe_join(folder, rel) if folder is not None and rel.endswith(".png") else None
        if path is None:
            return self._not_found("No such snapshot.")
        return Response(200, "image/png", path.read_bytes(), (("Cache-Control", "no-store"),))

    def _livereload(self, query: dict[str, list[str]]) -> Response:
        since = int(query.get("since", ["0"])[0])
        slug = query.get("slug", [None])[0]
        epoch = self.wait(since, slug)
        return Response(200, "text/plain; charset=utf-8", str(epoch).encode(), (("Cache-Control", "no-store"),))

    def _static(self, rel: str) -> Response:
        path = safe_join(STATIC_DIR, rel)
        if path is None:
            return self._not_found("No such file.")
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype.endswith("javascript"):
            ctype += "; charset=utf-8"
        return Response(200, ctype, path.read_bytes(), (("Cache-Control", "no-cache"),))

    def _template_route(self, rest: str, query: dict[str, list[str]]) -> Response:
        parts = [unquote(p) for p in rest.split("/")]
        slug = parts[0]
        state = self.templates.get(slug)
        if state is None:
            return self._not_found(f"No template '{slug}' (yet): this page shows it once its folder exists.", slug)
        locale = query.get("locale", [None])[0]
        if locale is not None and locale not in state.locales:
            known = ", ".join(sorted(state.locales)) or "none: it has no translatable text"
            links = [(f"/t/{quote(slug)}?locale={quote(c)}", c) for c in sorted(state.locales)]
            message = f"Template '{slug}' is not built in locale '{locale}' (locales: {known})."
            return _html(404, not_found_page(message, self.current(slug), slug, links=links))
        if len(parts) == 1:
            return self._template_page(state, query.get("sample", [None])[0], locale)
        if parts[1:] == ["contract.schema.json"] and state.compiled is not None:
            return self._contract_schema(state.compiled)
        if parts[1:] == ["payload.json"] and state.compiled is not None:
            body = json.dumps(self.in_locale(state, locale).payload, indent=2, ensure_ascii=False) + "\n"
            return Response(200, "application/json; charset=utf-8", body.encode("utf-8"))
        if len(parts) == 4 and parts[1] == "email" and state.compiled is not None:
            return self._email(state, parts[2], parts[3], query.get("view", [""])[0], locale)
        return self._not_found("No such page.")

    def _contract_schema(self, compiled: CompiledTemplate) -> Response:
        """The template's contract, as build/contracts/<slug>.schema.json holds it."""
        from kmsg_authoring.compile.contract import contract_schema

        body = json.dumps(contract_schema(compiled.payload, compiled.slug), indent=2, ensure_ascii=False) + "\n"
        return Response(200, "application/schema+json; charset=utf-8", body.encode("utf-8"))

    def _email(self, state: TemplateState, sample_name: str, recipient: str, view: str = "",
               locale: str | None = None) -> Response:
        """Exactly the HTML a recipient's mail client receives (view=dark or inverted: as darkened)."""
        if not recipient.endswith(".html") or not recipient[:-5].isdigit():
            return self._not_found("No such recipient.")
        try:
            _, renderings = self.renderings(state, None if sample_name == "-" else sample_name, locale)
        except KmsgError as exc:
            return _html(404, not_found_page(str(exc), self.current(state.slug), state.slug))
        index = int(recipient[:-5])
        if index >= len(renderings):
            return self._not_found("No such recipient.")
        # The dark views are the light view (placeholders included) as dark-mode clients show it.
        body = with_image_placeholders(renderings[index].body)
        if view in ("dark", "inverted"):
            from kmsg_authoring.render.dark import dark_variants

            body = dark_variants(body)[view]
        elif view:
            return self._not_found("No such view (dark or inverted).")
        # The email is shown as mail clients show it: no scripts run, whatever it holds.
        return _html(200, body,
                     ("Content-Security-Policy", "sandbox allow-popups"), ("Cache-Control", "no-store"))

    def _template_page(self, state: TemplateState, sample_name: str | None, locale: str | None = None) -> Response:
        from kmsg_authoring.render.samples import sample_names

        with self._cond:
            compiled = state.compiled
            view = TemplateView(
                slug=state.slug,
                name=str((compiled.payload.get("name") if compiled else None) or state.slug),
                epoch=state.epoch, built_at=state.built_at, errors=[*self.site_errors, *state.errors],
                findings=list(state.findings),
            )
        if compiled is not None and self.thumbnails is not None:
            view.changes = self.thumbnails.changes_panel(state.slug)
        if compiled is not None:
            view.samples = sample_names(self.config, compiled.folder)
            if sample_name is not None and sample_name not in view.samples:
                # A wrong ?sample= is a wrong address, not a build failure.
                known = ", ".join(view.samples) or "none: the preview makes one from the declared token types"
                return _html(404, not_found_page(
                    f"Template '{state.slug}' has no sample '{sample_name}'. Samples: {known}.",
                    self.current(state.slug), state.slug, links=[
                        (f"/t/{quote(state.slug)}?sample={quote(n)}", n) for n in view.samples]))
            try:
                sample, renderings = self.renderings(state, sample_name, locale)
            except KmsgError as exc:
                if str(exc) not in {str(e) for e in view.errors}:  # the build may have reported it already
                    view.errors.append(exc)
                renderings = []
            else:
                if state.locales:
                    view.locale = locale or (sample.locale if sample.locale in state.locales else None) \
                        or self.config.default_locale
                    view.locales = sorted(state.locales)
                view.sample = sample.name
                view.sample_generated = sample.path is None
                users = {str(u.get("id")): u for u in sample.users}
                segment = quote(sample.name if sample.path is not None else "-", safe="")
                in_locale = f"?locale={quote(view.locale)}" if view.locale else ""
                view.recipients = [
                    RecipientView(_label(users.get(r.user_id, {}), r.user_id), r,
                                  f"/t/{quote(state.slug)}/email/{segment}/{i}.html{in_locale}",
                                  tuple(locate_unresolved(compiled, u) for u in r.unresolved))
                    for i, r in enumerate(renderings)
                ]
                view.contract = _contract_view(compiled, sample)
        if compiled is not None:
            shown = self.in_locale(state, view.locale)
            view.body = shown.body
            view.payload = shown.payload
            view.compat = _compat(self.config, shown)
        return _html(200, template_page(view), ("Cache-Control", "no-store"))


# Only an image that failed to load gets ::before content (a loaded one is a replaced element), so
# this covers the browser's broken-image icon with a neutral box of the image's declared size and
# leaves every image that loads untouched.
IMAGE_PLACEHOLDER_CSS = (
    "img{position:relative}"
    "img::before{content:attr(alt);position:absolute;inset:0;display:flex;align-items:center;"
    "justify-content:center;overflow:hidden;background:#e9ebef;border:1px dashed #b6bcc6;color:#5f6672;"
    "font:12px/1.2 system-ui,sans-serif;text-align:center;box-sizing:border-box}"
)
_PLACEHOLDER_TAG = f'<style data-kmsg-preview="image-placeholder">{IMAGE_PLACEHOLDER_CSS}</style>'


def with_image_placeholders(html: str) -> str:
    """The email with the preview's placeholder style for images that cannot load (the frame's only addition)."""
    lower = html.lower()
    at = lower.find("</head>")
    if at < 0:
        at = lower.find("<body")
    return html[:at] + _PLACEHOLDER_TAG + html[at:] if at >= 0 else _PLACEHOLDER_TAG + html


def _compat(config: Config, compiled: CompiledTemplate) -> Any:
    """The template's client-support summary, or the error that kept it from being made."""
    from kmsg_authoring.lint.compat import summarize

    try:
        return summarize(compiled, config)
    except KmsgError as exc:
        return exc


def _contract_view(compiled: CompiledTemplate, sample: Sample) -> ContractView:
    """The Contract tab of a template, its example made from the sample shown."""
    from kmsg_authoring.compile.contract import contract_schema
    from kmsg_authoring.compile.contract_formats import rows, to_typescript
    from kmsg_authoring.contract import ANNOTATION, send_example

    schema = contract_schema(compiled.payload, compiled.slug)
    info = schema[ANNOTATION]
    example = send_example(schema, sample.msg_params, sample.recipients,
                           app_guid=str(compiled.payload.get("appGuid") or "") or None)
    return ContractView(rows(schema), list(info["userFields"]), list(info["inlineImages"]),
                        json.dumps(example, indent=2, ensure_ascii=False), to_typescript([schema]),
                        f"/t/{quote(compiled.slug)}/contract.schema.json")


def translation_status(locales: dict[str, CompiledTemplate]) -> list[tuple[str, int, int]]:
    """(locale, messages missing, messages fuzzy) of each locale a template is built in."""
    from kmsg_authoring.compile.i18n import FUZZY, MISSING

    out = []
    for code, compiled in sorted(locales.items()):
        uses = {(getattr(u, "msgid", ""), getattr(u, "state", "")) for u in compiled.translations}
        out.append((code, sum(1 for _, st in uses if st == MISSING), sum(1 for _, st in uses if st == FUZZY)))
    return out


def _label(user: dict[str, Any], user_id: str) -> str:
    name = " ".join(str(user[f]) for f in ("firstName", "lastName") if user.get(f))
    return f"{name} <{user_id}>" if name else user_id
