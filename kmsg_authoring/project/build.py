"""Config and template slugs in, a BuildReport and build/ outputs out: compile (incrementally), lint, write."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kmsg_authoring.project.cache import Cache, dumps, settings_key
from kmsg_authoring.compile.types import CompiledTemplate
from kmsg_authoring.source.config import Config
from kmsg_authoring.errors import BuildError, KmsgError
from kmsg_authoring.lint.problem import Problem
from kmsg_authoring.source.files import write_atomic
from kmsg_authoring.source.project import (
    discover,
)

MANIFEST = "manifest.json"


@dataclass
class BuildReport:
    """What a build did: compiled templates, failures and lint problems per slug."""

    compiled: dict[str, CompiledTemplate] = field(default_factory=dict)
    failures: dict[str, list[KmsgError]] = field(default_factory=dict)
    problems: dict[str, list[Problem]] = field(default_factory=dict)
    rebuilt: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # not loaded: sources and outputs as last built
    written: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # one-line warnings: the cache could not be used or saved
    # A template with translatable text is filed once per locale, under "<slug>.<locale>".
    variants: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (slug, locale)

    @property
    def ok(self) -> bool:
        """True when every template compiled without lint errors."""
        return not self.failures

    def slug_of(self, key: str) -> str:
        """The template folder a report key belongs to."""
        return self.variants[key][0] if key in self.variants else key

    def keys(self, slugs: Iterable[str]) -> list[str]:
        """The report keys of templates: the slug, or one "<slug>.<locale>" per locale."""
        wanted = list(slugs)
        by_slug: dict[str, list[str]] = {}
        for key, (slug, _) in self.variants.items():
            by_slug.setdefault(slug, []).append(key)
        return [k for slug in wanted for k in (sorted(by_slug[slug]) if slug in by_slug else [slug])]

    def rekey(self, old: str, new: str) -> None:
        """File what was recorded under old (the default-locale compile) under new."""
        if old in self.compiled:
            self.compiled[new] = self.compiled.pop(old)
        if old in self.failures:
            self.failures[new] = self.failures.pop(old)
        if old in self.problems:
            self.problems[new] = self.problems.pop(old)
        for seq in (self.rebuilt, self.unchanged, self.written):
            for i, value in enumerate(seq):
                if value == old:
                    seq[i] = new


# -- outputs -------------------------------------------------------------------------------------
CONTRACTS_DIR = "contracts"
CONTRACT_SUFFIX = ".schema.json"


def contract_rel(slug: str) -> str:
    """Where a template's contract (the JSON Schema of its msgParams) is written, relative to build/."""
    return f"{CONTRACTS_DIR}/{slug}{CONTRACT_SUFFIX}"


def manifest_entry(c: CompiledTemplate) -> dict[str, Any]:
    """The manifest's record of one template (and, for one locale's build, its slug and locale)."""
    where = {"slug": c.slug, "locale": c.locale} if c.locale is not None else {}
    return {
        **where,
        "name": c.payload.get("name"),
        "hash": c.content_hash,
        "numberOfTokenUsed": c.number_of_tokens_used,
        "tokens": [t.to_json() for t in c.tokens],
        "contract": contract_rel(c.slug),
    }


def manifest_text(manifest: dict[str, Any]) -> str:
    """build/manifest.json: one line per template, sorted, so that diffs stay readable and writing stays fast."""
    lines = [f"  {json.dumps(slug)}: {json.dumps(manifest[slug], ensure_ascii=False)}" for slug in sorted(manifest)]
    return '{"templates": {\n' + ",\n".join(lines) + ("\n" if lines else "") + "}}\n"


def _output_key(config: Config, manifest: dict[str, Any], slug: str) -> str:
    """The name a template's default-locale outputs had at its last build: <slug>.<locale> when it was localized."""
    localized = f"{slug}.{config.default_locale}"
    if (
        config.default_locale
        and isinstance(manifest.get(localized), dict)
        and manifest[localized].get("locale") == config.default_locale
    ):
        return localized
    return slug


def _read_manifest(config: Config) -> dict[str, Any]:
    try:
        manifest = json.loads((config.build_dir / MANIFEST).read_text(encoding="utf-8"))["templates"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _write_outputs(config: Config, report: BuildReport, attempted: Iterable[str], manifest: dict[str, Any]) -> None:
    out = config.build_dir
    existing = set(discover(config.src_dir))
    locales = set(config.locales)
    manifest = {
        k: v
        for k, v in manifest.items()
        if k in existing or (isinstance(v, dict) and v.get("slug") in existing and v.get("locale") in locales)
    }
    attempted = list(attempted)
    for slug in attempted:
        if slug in report.unchanged:
            continue
        # A template that became localized (or stopped being) loses the outputs of its other shape.
        folder = report.slug_of(slug)
        for stale in [
            k
            for k, v in manifest.items()
            if k not in attempted
            and (k == folder or (isinstance(v, dict) and v.get("slug") == folder and v.get("locale")))
        ]:
            manifest.pop(stale, None)
            for suffix in (".json", ".html"):
                (out / f"{stale}{suffix}").unlink(missing_ok=True)
        # One contract per template folder, whatever its locales: msgParams do not depend on the
        # language, so the default locale's build (or the only one) writes it.
        owns_contract = report.variants.get(slug, (folder, config.default_locale))[1] == config.default_locale
        c = report.compiled.get(slug)
        if c is None or slug in report.failures:
            manifest.pop(slug, None)
            for suffix in (".json", ".html"):
                (out / f"{slug}{suffix}").unlink(missing_ok=True)
            if owns_contract:
                (out / contract_rel(folder)).unlink(missing_ok=True)
            continue
        if write_atomic(out / f"{slug}.json", dumps(c.payload)):
            report.written.append(f"{slug}.json")
        if write_atomic(out / f"{slug}.html", c.body):
            report.written.append(f"{slug}.html")
        if owns_contract and write_atomic(out / contract_rel(folder), _contract_text(c)):
            report.written.append(contract_rel(folder))
        manifest[slug] = manifest_entry(c)
    write_atomic(out / MANIFEST, manifest_text(manifest))
    _remove_stray_outputs(
        config, set(manifest), {str(v.get("slug") or k) if isinstance(v, dict) else k for k, v in manifest.items()}
    )


def _remove_stray_outputs(config: Config, kept: set[str], kept_contracts: set[str]) -> None:
    """build/ holds the outputs of the templates that exist and built: others (a removed or renamed
    template's) go. Only <name>.json and <name>.html directly in build/, and contracts/<name>.schema.json,
    are touched, and only when build/ is a folder of its own (not the project root or the sources)."""
    out, root, src = config.build_dir.resolve(), config.root.resolve(), config.src_dir.resolve()
    if out == root or not out.is_relative_to(root) or src.is_relative_to(out) or out.is_relative_to(src):
        return
    for path in out.iterdir():
        if path.suffix in (".json", ".html") and path.name != MANIFEST and path.stem not in kept and path.is_file():
            path.unlink(missing_ok=True)
    contracts = out / CONTRACTS_DIR
    if contracts.is_dir() and not contracts.is_symlink():
        for path in contracts.iterdir():
            if (
                path.name.endswith(CONTRACT_SUFFIX)
                and path.name[: -len(CONTRACT_SUFFIX)] not in kept_contracts
                and path.is_file()
            ):
                path.unlink(missing_ok=True)


def _contract_text(c: CompiledTemplate) -> str:
    from kmsg_authoring.contract.template import contract_schema

    return dumps(contract_schema(c.payload, c.slug))


# -- the build -----------------------------------------------------------------------------------
def build_project(
    config: Config,
    slugs: Iterable[str] | None = None,
    *,
    write: bool = True,
    use_cache: bool = True,
    lint: bool = True,
    lint_cached: bool = False,
    load_unchanged: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
    jobs: int | None = None,
) -> BuildReport:
    """Compile templates (all, or the given slugs); lint them; write outputs when asked.

    A template that fails to compile or has lint errors gets no output and a list of failures;
    the others build regardless. Templates whose sources did not change come from the cache and
    are linted again only with lint_cached; with load_unchanged=False (the build command) they are
    not even loaded when their outputs are in place, and are listed in `unchanged`.

    Templates to compile are spread over `jobs` processes (default: the cores, when there are
    enough of them to pay for starting a pool); the report and the outputs do not depend on it.
    """
    from kmsg_authoring.project.workers import Runner

    targets = list(slugs) if slugs is not None else discover(config.src_dir)
    report = BuildReport()
    runner = Runner(config, lint, jobs)  # fails closed when the linter or sample checks cannot run
    had_build_dir = config.build_dir.is_dir()
    cache = Cache(config, settings_key(config)) if use_cache else None
    manifest = _read_manifest(config) if write else {}

    checked: dict[str, bool] = {}

    def unchanged(key: str, slug: str) -> bool:
        """Whether a template's sources are as last built (asked once per build)."""
        if key not in checked:
            checked[key] = cache is not None and cache.unchanged(key, slug)
        return checked[key]

    def needs_compile(key: str, slug: str) -> bool:
        return cache is None or not unchanged(key, slug)

    def one(key: str, slug: str, locale: str | None) -> CompiledTemplate | None:
        """Compile (or load) and lint one template in one locale, filed in the report under key."""
        compiled = None
        if cache is not None and unchanged(key, slug):
            out_key = key if key in report.variants else _output_key(config, manifest, slug)
            in_place = (
                out_key in manifest
                and all((config.build_dir / f"{out_key}{suffix}").is_file() for suffix in (".json", ".html"))
                and (config.build_dir / contract_rel(slug)).is_file()
            )
            if not load_unchanged and not lint_cached and (in_place or not write):
                report.unchanged.append(out_key)
                return None
            compiled = cache.load(key)
        fresh = compiled is None
        errors: list[KmsgError] = []
        reads: dict[str, str | None] = {}
        problems: list[Problem] | None = None
        if compiled is None:
            outcome = runner.outcome(key, slug, locale)
            if outcome.failure is not None:
                report.failures[key] = [outcome.failure]
                if cache is not None:
                    cache.forget(key)
                return None
            if outcome.crash is not None:
                raise outcome.crash
            assert outcome.compiled is not None
            compiled, reads, problems = outcome.compiled, outcome.reads, outcome.problems
            errors.extend(outcome.errors)
            report.rebuilt.append(key)
        report.compiled[key] = compiled
        if lint and (fresh or lint_cached):
            if problems is None:
                problems, crash = runner.work.lint(compiled)
                if crash is not None:
                    raise crash
                assert problems is not None
            report.problems[key] = problems
            errors.extend(KmsgError(f"{p.code} {p.message}", p.location) for p in problems if p.is_error)
        if errors:
            report.failures[key] = errors
            if cache is not None:
                cache.forget(key)
        elif fresh and cache is not None:
            cache.store(compiled, reads, record=load_unchanged, key=key)
        return compiled

    try:
        # Compiles are started ahead, in the order they are filed below (on a pool, when one pays).
        runner.plan([(slug, slug, None) for slug in targets if needs_compile(slug, slug)])
        for i, slug in enumerate(targets):
            if progress:
                progress(slug, i, len(targets))
            # The default locale first: whether the template has translatable text is known once it is
            # compiled (or from its last build's outputs when it is unchanged).
            compiled = one(slug, slug, None)
            localized = (
                compiled.locale is not None
                if compiled is not None
                else (_output_key(config, manifest, slug) != slug and slug not in report.failures)
            )
            if not localized:
                continue
            report.rekey(slug, f"{slug}.{config.default_locale}")
            report.variants[f"{slug}.{config.default_locale}"] = (slug, config.default_locale)
            others = [(f"{slug}.{loc}", slug, loc) for loc in config.locales if loc != config.default_locale]
            runner.plan([task for task in others if needs_compile(task[0], slug)], first=True)
            for key, _, locale in others:
                report.variants[key] = (slug, locale)
                one(key, slug, locale)
    finally:
        runner.close()
    if cache is not None:
        cache.save()
        if cache.problem:
            report.notes.append(cache.problem)
    if write:
        out = config.rel(config.build_dir)
        if had_build_dir and not config.build_dir.is_dir():
            raise BuildError(f"{out}/ was removed during the build; run the build again")
        try:
            _write_outputs(config, report, report.keys(targets), manifest)
        except OSError as exc:
            failed = Path(exc.filename) if exc.filename else config.build_dir
            # A temporary file's name means nothing to the user: name its folder.
            where = f"{config.rel(failed.parent)}/" if failed.name.endswith(".tmp") else config.rel(failed)
            raise BuildError(f"cannot write {where}: {exc.strerror or exc}") from None
    return report
