"""Snapshots: a PNG per template x sample recipient x width x colour scheme x engine, with a manifest.

    build/snapshots/
      manifest.json                                    # every image: template, sample, recipient,
                                                       # width, scheme, engine, HTML hash, PNG hash
      event-invitation/default/01-jane_example.com/600-light-chromium.png

The emails are the preview renderer's (tokens resolved from each sample), made offline by
review.page. An image whose HTML, width, scheme and engine are those recorded in the manifest, and
whose file is still there, is not rendered again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kmsg_authoring.errors import ConfigError, KmsgError, Location
from kmsg_authoring.review.browser import ALL_ENGINES, CHROMIUM, OUTLOOK_APPROX, Shot
from kmsg_authoring.review.engines import Engines
from kmsg_authoring.review.page import offline_page
from kmsg_authoring.review.schemes import SCHEMES, scheme_html
from kmsg_authoring.source.config_schema import Key, Section
from kmsg_authoring.source.project import digest

if TYPE_CHECKING:
    from kmsg_authoring.compile.types import CompiledTemplate
    from kmsg_authoring.render.renderer import Unresolved
    from kmsg_authoring.render.samples import Sample
    from kmsg_authoring.source.config import Config

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
# Bumped when the way pages are prepared or captured changes: older images are then rendered again.
RENDER_FORMAT = 3
DEFAULT_WIDTHS: tuple[int, ...] = (600, 375)
DEFAULT_ENGINES: tuple[str, ...] = (CHROMIUM,)
MIN_WIDTH, MAX_WIDTH = 200, 2000
SNAPSHOT_DIR = "snapshots"  # under the build folder
_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]+")
SECTION = Section(
    "snapshot",
    "What `kmsg-author snapshot` captures: one PNG per template, sample, width, colour scheme and engine.",
    (
        Key("widths", "list of integers", f"Viewport widths in pixels, {MIN_WIDTH} to {MAX_WIDTH}.", DEFAULT_WIDTHS),
        Key("engines", "list of strings", "The browser engines that capture.", DEFAULT_ENGINES, ALL_ENGINES),
        Key("schemes", "list of strings", "The colour schemes captured.", SCHEMES, SCHEMES),
        Key("out", "string", "The folder the images and manifest go to.", default_text=f"build/{SNAPSHOT_DIR}"),
    ),
)


@dataclass(frozen=True)
class SnapshotSettings:
    """[snapshot] of kmsg.toml: the widths, engines and colour schemes, and the output folder."""

    widths: tuple[int, ...] = DEFAULT_WIDTHS
    engines: tuple[str, ...] = DEFAULT_ENGINES
    schemes: tuple[str, ...] = SCHEMES
    out: str | None = None


def snapshot_settings(config: Config) -> SnapshotSettings:
    """The validated [snapshot] table of kmsg.toml (defaults for what it leaves out)."""
    written: Mapping[str, Any] = getattr(config, "snapshot", None) or {}
    from kmsg_authoring.source.config import located

    raw = SECTION.read(written, "[snapshot]", lambda key: located(written, key))
    widths = raw.value("widths")
    if (
        not isinstance(widths, list)
        or not widths
        or not all(isinstance(w, int) and not isinstance(w, bool) and MIN_WIDTH <= w <= MAX_WIDTH for w in widths)
    ):
        raise ConfigError(
            f"[snapshot] widths must be a list of pixel widths from {MIN_WIDTH} to {MAX_WIDTH}, such as [600, 375]",
            located(written, "widths"),
        )
    engines = raw.value("engines")
    if not isinstance(engines, list) or not engines or not all(e in ALL_ENGINES for e in engines):
        raise ConfigError(f"[snapshot] engines must be a list of {', '.join(ALL_ENGINES)}", located(written, "engines"))
    schemes = raw.value("schemes")
    if not isinstance(schemes, list) or not schemes or not all(s in SCHEMES for s in schemes):
        raise ConfigError(f"[snapshot] schemes must be a list of {', '.join(SCHEMES)}", located(written, "schemes"))
    out = raw.value("out")
    if out is not None and (not isinstance(out, str) or not out):
        raise ConfigError("[snapshot] out must be a folder name", located(written, "out"))
    return SnapshotSettings(
        tuple(dict.fromkeys(widths)), tuple(dict.fromkeys(engines)), tuple(dict.fromkeys(schemes)), out
    )


def default_out(config: Config) -> Path:
    """Where snapshots go unless told: [snapshot] out, else build/snapshots."""
    settings = snapshot_settings(config)
    return config.root / settings.out if settings.out else config.build_dir / SNAPSHOT_DIR


def recipient_label(index: int, user_id: str) -> str:
    """A recipient's folder name: position and a filesystem-safe user id."""
    return f"{index + 1:02d}-{_UNSAFE.sub('_', user_id).strip('._') or 'recipient'}"


@dataclass(frozen=True)
class Job:
    """One image to have: what it shows and the page that shows it."""

    template: str
    sample: str
    recipient: str  # the user id
    label: str  # recipient_label
    width: int
    scheme: str
    engine: str
    page: str  # the offline HTML
    html_hash: str

    @property
    def key(self) -> str:
        """The image's identity across snapshot sets."""
        return f"{self.template}/{self.sample}/{self.label}/{self.width}-{self.scheme}-{self.engine}"

    @property
    def file(self) -> str:
        """The PNG's path in the snapshot folder."""
        return self.key + ".png"


@dataclass
class SnapshotResult:
    """What a snapshot run produced."""

    out_dir: Path
    images: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> manifest entry (this run's)
    rendered: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    failures: dict[str, list[KmsgError]] = field(default_factory=dict)
    unresolved: list[tuple[Location, str, Unresolved]] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)
    # outlook-approx: per template, the CSS Outlook for Windows ignores, located (review/outlook.py)
    outlook_removed: dict[str, list[Any]] = field(default_factory=dict)


def read_manifest(folder: Path) -> dict[str, dict[str, Any]]:
    """The images of a snapshot folder's manifest, by key ({} when there is none or it is unreadable)."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    images = data.get("images") if isinstance(data, dict) else None
    if not isinstance(images, dict):
        return {}
    return {k: v for k, v in images.items() if isinstance(v, dict) and isinstance(v.get("file"), str)}


def write_manifest(folder: Path, images: Mapping[str, Mapping[str, Any]]) -> None:
    """manifest.json: sorted and stable, one image a line."""
    from kmsg_authoring.source.files import write_atomic

    lines = [
        f"    {json.dumps(k)}: {json.dumps(images[k], sort_keys=True, ensure_ascii=False)}" for k in sorted(images)
    ]
    text = (
        '{\n  "version": '
        + str(MANIFEST_VERSION)
        + ',\n  "images": {\n'
        + ",\n".join(lines)
        + ("\n" if lines else "")
        + "  }\n}\n"
    )
    write_atomic(folder / MANIFEST, text)


def _compile(
    config: Config, slugs: Sequence[str] | None, *, build_cache: bool = True
) -> tuple[list[str], dict[str, CompiledTemplate], dict[str, list[KmsgError]]]:
    from kmsg_authoring.project.build import BuildOptions, build_project
    from kmsg_authoring.source.targets import resolve_slugs

    targets = resolve_slugs(config, slugs)
    report = build_project(config, targets, BuildOptions(write=False, lint=False, use_cache=build_cache))
    # A template built per locale is filed under "<slug>.<locale>": its default locale's build also
    # stands under the slug, and in_sample_locale picks the build a sample asks for.
    compiled = dict(report.compiled)
    for key, (slug, locale) in report.variants.items():
        if locale == config.default_locale and key in report.compiled:
            compiled[slug] = report.compiled[key]
    return targets, compiled, report.failures


def in_sample_locale(compiled: dict[str, CompiledTemplate], c: CompiledTemplate, sample: Sample) -> CompiledTemplate:
    """The build of a template a sample is shown in: the sample's locale when it sets one the template has."""
    if c.locale is None or not sample.locale:
        return c
    return compiled.get(f"{c.slug}.{sample.locale}", c)


def samples_of(config: Config, compiled: CompiledTemplate, failures: dict[str, list[KmsgError]]) -> Iterator[Sample]:
    """Every sample of a template (a generated one without sample files); broken ones go to failures."""
    from kmsg_authoring.render.samples import load_sample, sample_names

    names: list[str | None] = list(sample_names(config, compiled.folder)) or [None]
    for name in names:
        try:
            yield load_sample(config, compiled, name)
        except KmsgError as exc:
            failures.setdefault(compiled.slug, []).append(exc)


def plan(
    config: Config,
    slugs: Sequence[str] | None = None,
    *,
    widths: Sequence[int],
    schemes: Sequence[str],
    engines: Sequence[str],
    result: SnapshotResult | None = None,
    build_cache: bool = True,
) -> tuple[list[Job], SnapshotResult]:
    """Every image to have for the templates (all by default), with the offline page of each."""
    from kmsg_authoring.render.renderer import locate_unresolved, render_sample

    result = result or SnapshotResult(out_dir=Path())
    targets, compiled, failures = _compile(config, slugs, build_cache=build_cache)
    result.templates = list(targets)
    result.failures.update(failures)
    jobs: list[Job] = []
    for slug in targets:
        c = compiled.get(slug)
        if c is None:
            continue
        if OUTLOOK_APPROX in engines:
            from kmsg_authoring.review.outlook import removed

            result.outlook_removed[slug] = removed(c, config.root)
        for sample in samples_of(config, c, result.failures):
            shown = in_sample_locale(compiled, c, sample)
            for i, rendering in enumerate(render_sample(shown, sample)):
                result.unresolved.extend(
                    (locate_unresolved(shown, u), rendering.user_id, u) for u in rendering.unresolved
                )
                label = recipient_label(i, rendering.user_id)
                for scheme in schemes:
                    page = offline_page(scheme_html(rendering.body, scheme))
                    page_digest = digest(page.encode("utf-8"))
                    for width in widths:
                        for engine in engines:
                            if engine != OUTLOOK_APPROX:
                                jobs.append(
                                    Job(
                                        slug,
                                        sample.name,
                                        rendering.user_id,
                                        label,
                                        width,
                                        scheme,
                                        engine,
                                        page,
                                        page_digest,
                                    )
                                )
                    if OUTLOOK_APPROX in engines:
                        from kmsg_authoring.review.outlook import PANE_WIDTH, approximate

                        word = offline_page(scheme_html(approximate(rendering.body), scheme))
                        jobs.append(
                            Job(
                                slug,
                                sample.name,
                                rendering.user_id,
                                label,
                                PANE_WIDTH,
                                scheme,
                                OUTLOOK_APPROX,
                                word,
                                digest(word.encode("utf-8")),
                            )
                        )
    return jobs, result


def take_snapshots(
    config: Config,
    slugs: Sequence[str] | None = None,
    *,
    out_dir: Path | None = None,
    widths: Sequence[int] | None = None,
    schemes: Sequence[str] | None = None,
    engines: Engines | None = None,
    engine_names: Sequence[str] | None = None,
    use_cache: bool = True,
    progress: Callable[[str], None] | None = None,
    build_cache: bool = True,
) -> SnapshotResult:
    """Snapshot templates (all by default) into out_dir; images whose HTML is unchanged are kept.

    Raises BrowserMissing (exit 2) when an engine that has something to render is not installed.
    Templates that do not compile are listed in `failures` and get no images.
    """
    settings = snapshot_settings(config)
    out = out_dir if out_dir is not None else default_out(config)
    names = tuple(engine_names or (tuple(engines.engines) if engines else settings.engines))
    result = SnapshotResult(out_dir=out)
    jobs, result = plan(
        config,
        slugs,
        widths=widths or settings.widths,
        schemes=schemes or settings.schemes,
        engines=names,
        result=result,
        build_cache=build_cache,
    )
    owned = engines is None
    runner = engines if engines is not None else Engines(names)
    try:
        runner.check()
        identities = {n: runner.engines[n].identity() for n in names}
        previous = read_manifest(out) if use_cache else {}
        todo: dict[str, list[Shot]] = {n: [] for n in names}
        entries: dict[str, dict[str, Any]] = {}
        for job in jobs:
            entry = {
                "file": job.file,
                "template": job.template,
                "sample": job.sample,
                "recipient": job.recipient,
                "width": job.width,
                "scheme": job.scheme,
                "engine": job.engine,
                "html": job.html_hash,
                "engineId": identities[job.engine],
                "render": RENDER_FORMAT,
            }
            old = previous.get(job.key)
            if old is not None and all(old.get(k) == v for k, v in entry.items()) and _intact(out, old):
                entries[job.key] = old
                result.reused.append(job.key)
                continue
            entries[job.key] = entry
            todo[job.engine].append(Shot(job.key, job.page, job.width, job.scheme))
        shots = runner.shoot(todo, progress)
    finally:
        if owned:
            runner.close()
    for per_engine in shots.values():
        for key, png in per_engine.items():
            path = out / entries[key]["file"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(png)
            entries[key]["png"] = digest(png)
            entries[key]["size"] = list(_png_size(png))
            result.rendered.append(key)
    result.images = entries
    for slug, items in result.outlook_removed.items():
        from kmsg_authoring.review.outlook import LABEL
        from kmsg_authoring.source.files import write_atomic

        lines = [f"{LABEL}: what {slug} loses in Outlook for Windows, from the Can I email data", ""]
        write_atomic(out / slug / "outlook-approx-removed.txt", "\n".join([*lines, *map(str, items), ""]))
    _update_manifest(config, out, result, previous=read_manifest(out))
    return result


def _intact(out: Path, entry: Mapping[str, Any]) -> bool:
    try:
        return digest((out / str(entry["file"])).read_bytes()) == entry.get("png")
    except (OSError, KeyError):
        return False


def _png_size(png: bytes) -> tuple[int, int]:
    # The IHDR chunk: width and height as big-endian 32-bit integers at bytes 16 to 24.
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _update_manifest(config: Config, out: Path, result: SnapshotResult, previous: Mapping[str, Any]) -> None:
    """Keep other templates' images, replace those of the templates snapshotted, remove stale files."""
    from kmsg_authoring.source.project import discover

    existing = set(discover(config.src_dir))
    done = set(result.templates)
    merged = {k: v for k, v in previous.items() if v.get("template") in existing and v.get("template") not in done}
    merged.update(result.images)
    for key, entry in previous.items():
        if key not in merged:
            stale = out / str(entry.get("file", ""))
            if stale.is_file() and stale.resolve().is_relative_to(out.resolve()):
                stale.unlink()
    out.mkdir(parents=True, exist_ok=True)
    write_manifest(out, merged)
