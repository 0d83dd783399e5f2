"""The contracts of a project: built from its sources, now or at a Git revision, and compared.

`kmsg-author contract` prints them, `check-params` checks a caller's request against one, and
`contract --diff REV` classifies what changed since a revision for pull-request review.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kmsg_authoring.contract.template import Change, allow_list, classify, contract_schema, refused
from kmsg_authoring.contract.schema import ANNOTATION, Schema
from kmsg_authoring.errors import BuildError, KmsgError, Location, SourceError, UsageError
from kmsg_authoring.source.config import Config

if TYPE_CHECKING:
    from kmsg_authoring.project.build import BuildReport

GIT_TIMEOUT = 60.0  # seconds; a revision's sources are read from the local repository only


@dataclass(frozen=True)
class TemplateContract:
    """A template's contract and the breaking changes its template.yaml allows."""

    slug: str
    schema: Schema
    allow_breaking: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The template's name."""
        return str(self.schema.get(ANNOTATION, {}).get("name", self.slug))


def project_contracts(config: Config, slugs: Sequence[str] | None = None) -> dict[str, TemplateContract]:
    """The contract of every template (or the named ones); BuildError naming each template that fails."""
    from kmsg_authoring.project.build import CHECK_ONLY, build_project
    from kmsg_authoring.source.targets import resolve_slugs

    targets = resolve_slugs(config, slugs) if slugs else None
    report = build_project(config, targets, CHECK_ONLY)
    # Sample problems do not change the contract; only a template that does not compile has none.
    failed = {slug: errs for slug, errs in report.failures.items() if slug not in report.compiled}
    if failed:
        lines = [str(e) if e.location else f"{slug}: {e}" for slug, errs in sorted(failed.items()) for e in errs]
        raise BuildError("the contract needs a template that builds:\n  " + "\n  ".join(lines))
    return _contracts(config, report)


def _contracts(config: Config, report: BuildReport) -> dict[str, TemplateContract]:
    """One contract per template folder: a template built per locale has the same msgParams in each,
    so its default locale's build stands for all."""
    return {
        c.slug: TemplateContract(c.slug, contract_schema(c.payload, c.slug), tuple(allow_list(c.settings)))
        for _, c in sorted(report.compiled.items())
        if c.locale in (None, config.default_locale)
    }


def load_contract(config: Config, name: str) -> TemplateContract:
    """A contract named by a template (slug or folder) or by a contract file (an exported .schema.json)."""
    path = Path(name)
    if name.endswith(".json") and path.is_file():
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{name}: cannot read the contract: {exc}") from None
        except json.JSONDecodeError as exc:
            raise SourceError(f"not JSON: {exc.msg}", Location(name, exc.lineno, exc.colno)) from None
        if not isinstance(schema, dict) or not isinstance(schema.get(ANNOTATION), dict):
            raise UsageError(f"{name} is not a kmsg-author contract (build/contracts/<slug>.schema.json)")
        return TemplateContract(str(schema[ANNOTATION].get("template", path.stem)), schema)
    contracts = project_contracts(config, [name])
    if len(contracts) != 1:
        raise UsageError(f"'{name}' names {len(contracts)} templates; name one template")
    return next(iter(contracts.values()))


@dataclass
class DocumentCheck:
    """One JSON document checked against a contract: what it is and its problems (or why it is not JSON)."""

    label: str
    what: str = ""  # "message/send request" or "msgParams"
    problems: list[Any] = field(default_factory=list)
    error: SourceError | None = None

    @property
    def ok(self) -> bool:
        """Whether the document is JSON and matches the contract."""
        return self.error is None and not self.problems


def check_document(contract: TemplateContract, label: str, text: str) -> DocumentCheck:
    """Check a message/send request, or just its msgParams, given as JSON text, against a contract."""
    from kmsg_authoring.contract.schema import check_request, is_send_request
    from kmsg_authoring.source.documents import parse_document

    try:
        document = parse_document(text, label)
    except SourceError as exc:
        return DocumentCheck(label, error=exc)
    what = "message/send request" if is_send_request(document) else "msgParams"
    return DocumentCheck(label, what, list(check_request(contract.schema, document)))


# -- a revision's contracts -------------------------------------------------------------------------


def _git(args: Sequence[str], cwd: Path) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=GIT_TIMEOUT, check=False)
    except FileNotFoundError:
        raise UsageError("contract --diff needs git, which is not installed") from None
    except subprocess.TimeoutExpired:
        raise KmsgError(f"git {args[0]} took longer than {GIT_TIMEOUT:.0f}s") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"git {args[0]} failed: {message[-1] if message else f'exit {done.returncode}'}")
    return done.stdout


def revision_contracts(config: Config, rev: str) -> tuple[dict[str, TemplateContract], dict[str, str]]:
    """(contracts, failures) of the project's sources at a Git revision, built in a temporary folder.

    The revision's files come from `git archive` (nothing in the working tree or the repository
    changes); a template that does not build there is listed in failures with the reason.
    """
    if not rev or rev.startswith("-"):
        raise UsageError(f"'{rev}' is not a revision")
    top = Path(_git(["rev-parse", "--show-toplevel"], config.root).decode().strip())
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], config.root)
    except UsageError:
        raise UsageError(f"'{rev}' is not a revision of the repository at {top}") from None
    prefix = config.root.resolve().relative_to(top.resolve()).as_posix()
    archive = _git(["archive", "--format=tar", rev, "--", prefix or "."], top)
    from kmsg_authoring.project.build import BuildOptions, build_project
    from kmsg_authoring.source.config import CONFIG_FILE, load_config

    with tempfile.TemporaryDirectory(prefix="kmsg-contract-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")  # the data filter refuses links and paths that leave tmp
        root = Path(tmp) / prefix if prefix not in ("", ".") else Path(tmp)
        if not root.is_dir():
            return {}, {}
        if not (root / CONFIG_FILE).is_file():
            # Pin the project root: without kmsg.toml the search would go on up, out of the temporary folder.
            (root / CONFIG_FILE).write_text("", encoding="utf-8")
        try:
            old = load_config(root)
        except KmsgError as exc:
            raise UsageError(f"the project at {rev} cannot be read: {exc}") from None
        if not old.src_dir.is_dir():
            return {}, {}
        report = build_project(old, None, BuildOptions(write=False, use_cache=False, lint=False))
    contracts = _contracts(old, report)
    failures = {
        report.slug_of(key): "; ".join(e.message for e in errs)
        for key, errs in report.failures.items()
        if key not in report.compiled
    }
    return contracts, failures


@dataclass
class TemplateDiff:
    """How one template's contract changed between two versions of the sources."""

    slug: str
    name: str
    status: str  # "changed", "unchanged", "added", "removed", "unbuilt"
    changes: list[Change] = field(default_factory=list)
    refused: list[Change] = field(default_factory=list)  # breaking changes its allow_breaking does not name
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "template": self.slug,
            "name": self.name,
            "status": self.status,
            "changes": [c.to_json() for c in self.changes],
            "refused": [c.subject for c in self.refused],
            "note": self.note,
        }


def diff_contracts(
    before: Mapping[str, TemplateContract],
    after: Mapping[str, TemplateContract],
    failures_before: Mapping[str, str] | None = None,
) -> list[TemplateDiff]:
    """Per template (by slug), how the contract changed from before to after."""
    out: list[TemplateDiff] = []
    failures_before = failures_before or {}
    for slug in sorted(set(before) | set(after) | set(failures_before)):
        new, old = after.get(slug), before.get(slug)
        if new is None:
            if old is not None:
                out.append(
                    TemplateDiff(
                        slug,
                        old.name,
                        "removed",
                        note="removed from the sources (a published copy stays unless --prune)",
                    )
                )
            continue
        if old is None:
            if slug in failures_before:
                out.append(
                    TemplateDiff(
                        slug, new.name, "unbuilt", note=f"did not build at the base revision: {failures_before[slug]}"
                    )
                )
            else:
                out.append(TemplateDiff(slug, new.name, "added", note="new template: no caller sends it yet"))
            continue
        changes = classify(old.schema, new.schema)
        out.append(
            TemplateDiff(
                slug, new.name, "changed" if changes else "unchanged", changes, refused(changes, new.allow_breaking)
            )
        )
    return out


def contract_changes(config: Config, rev: str, names: Sequence[str] | None = None) -> list[TemplateDiff]:
    """How the contracts of the templates (default: all; names: slugs or folders) changed since a Git revision."""
    current = project_contracts(config, names)
    before, failures = revision_contracts(config, rev)
    if names:
        before = {k: v for k, v in before.items() if k in current}
        failures = {k: v for k, v in failures.items() if k in current}
    return diff_contracts(before, current, failures)


def format_diff(diffs: Sequence[TemplateDiff], rev: str) -> str:
    """The classification as text for a pull-request review."""
    lines = [f"contract changes since {rev}:"]
    breaking = compatible = allowed = 0
    for d in diffs:
        if d.status == "unchanged":
            continue
        lines.append(f"  {d.slug} ({d.name}): {d.status}" + (f": {d.note}" if d.note else ""))
        for c in sorted(d.changes, key=lambda c: (not c.breaking, c.subject)):
            tag = "" if not c.breaking else (" (refused by publish)" if c in d.refused else " (allowed)")
            lines.append(f"    {c.kind}{tag}: {c.message}")
            breaking += c.breaking
            compatible += not c.breaking
            allowed += c.breaking and c not in d.refused
    if len(lines) == 1:
        lines.append("  none")
    lines.append(f"{breaking} breaking ({allowed} allowed by kmsg: contract: allow_breaking), {compatible} compatible")
    return "\n".join(lines)
