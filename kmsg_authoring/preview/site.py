"""The live preview's state and request handling, without sockets.

Modelled on mkdocs' livereload: every rebuild round is counted by an epoch; a page remembers the
epoch it was made at and long-polls until its template has a newer one; file events are debounced
by the caller; a failed build leaves the last good output up with an overlay naming the file and
line; request paths are normalised and confined so no URL reads a file outside the project.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kmsg_authoring.errors import ConfigError, KmsgError, SourceError
from kmsg_authoring.preview.pages import (
    finding_from,
)
from kmsg_authoring.preview.routes import Response, Routes, TemplateState
from kmsg_authoring.preview.watcher import is_scratch
from kmsg_authoring.render.renderer import QrEncoder, Rendering, render_sample, segno_qr
from kmsg_authoring.source.project import TEMPLATE_FILE, discover
from kmsg_authoring.model import CONFIG_FILE

if TYPE_CHECKING:
    from kmsg_authoring.review.thumbs import Thumbnails
    from kmsg_authoring.compile.types import CompiledTemplate
    from kmsg_authoring.project.build import BuildReport
    from kmsg_authoring.source.config import Config
    from kmsg_authoring.render.samples import Sample

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
    from kmsg_authoring.project.build import BuildOptions, build_project

    return build_project(config, slugs, BuildOptions(write=False, use_cache=False, lint=True))


class PreviewSite:
    """Builds templates, keeps the last good output of each, and answers preview requests."""

    def __init__(
        self,
        config: Config,
        *,
        builder: Builder = default_builder,
        clock: Callable[[], float] = time.time,
        qr_encoder: QrEncoder = segno_qr,
        poll_timeout: float = POLL_TIMEOUT,
        on_rebuild: Callable[[Rebuilt], None] | None = None,
        thumbnails: Thumbnails | None = None,
    ) -> None:
        self.config = config
        self.on_rebuild = on_rebuild
        self.thumbnails = thumbnails  # live snapshots and their changes (the browser extra), or None
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
        self.routes = Routes(self)

    @property
    def lock(self) -> threading.Condition:
        """The lock (and condition) every reader and writer of the site's state holds."""
        return self._cond

    def handle(self, raw_path: str) -> Response:
        """Answer a GET request for a URL path (with query)."""
        return self.routes.handle(raw_path)

    # -- reading the state --------------------------------------------------------------------------
    def current(self, slug: str | None) -> int:
        """The epoch a page shows: the template's last change, or the site's for the index."""
        if slug is None:
            return self.epoch
        state = self.templates.get(slug)
        return state.epoch if state is not None else self._gone.get(slug, 0)

    def wait(self, since: int, slug: str | None, timeout: float | None = None) -> int:
        """Block until the page's epoch differs from since (or timeout); the epoch then."""
        deadline = time.monotonic() + (self.poll_timeout if timeout is None else timeout)
        with self.lock:
            while self.current(slug) == since and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.lock.wait(left)
            return self.current(slug)

    def renderings(
        self, state: TemplateState, sample_name: str | None, locale: str | None = None
    ) -> tuple[Sample, list[Rendering]]:
        """The sample and each recipient's rendering of a template's last good build (cached per build),
        in a locale of a template built per locale (None: the sample's locale, else the default)."""
        from kmsg_authoring.render.samples import load_sample

        if state.compiled is None:
            raise RuntimeError("a template without a good build has no rendering")
        key = (state.slug, state.epoch, sample_name, locale)
        cached = self._renders.get(key)
        if cached is None:
            sample = load_sample(self.config, state.compiled, sample_name)
            compiled = self.in_locale(state, locale or sample.locale)
            cached = (sample, render_sample(compiled, sample, qr_encoder=self.qr_encoder))
            with self.lock:
                self._renders[key] = cached
        return cached

    @staticmethod
    def in_locale(state: TemplateState, locale: str | None) -> CompiledTemplate:
        """A template's last good build in a locale (the default one when not built in that locale)."""
        if state.compiled is None:
            raise RuntimeError("a template without a good build has no rendering")
        return state.locales.get(locale, state.compiled) if locale else state.compiled

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
        from kmsg_authoring.project.lint import build_problems

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
                if report is None:
                    raise RuntimeError("templates to refresh without a build report")
                state = self.templates.get(slug) or TemplateState(slug)
                keys = report.keys([slug])
                localized = {
                    report.variants[k][1]: report.compiled[k]
                    for k in keys
                    if k in report.variants and k in report.compiled
                }
                compiled = report.compiled.get(slug) or localized.get(self.config.default_locale)
                failures = [e for k in keys for e in report.failures.get(k, [])]
                if compiled is not None:
                    state.locales = localized
                    state.compiled = compiled
                    # Every locale's build: editing one catalog rebuilds the templates that use it.
                    state.deps = frozenset(compiled.dependencies).union(*(c.dependencies for c in localized.values()))
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
            parts = rel[len(src) + 1 :].split("/")
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
        if CONFIG_FILE in paths:
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

    def close(self) -> None:
        """Release every waiting long poll."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    # -- rendering ---------------------------------------------------------------------------------

    # -- requests ----------------------------------------------------------------------------------
