"""Render fidelity: compiling never changes how an email looks, in any of the three snapshot engines.

Every file of ../shared/corpus is built with the default settings (see tests/corpus_project.py),
and so is the example project (templates_src/, each locale). The body as written and the compiled
body are rendered in Chromium, WebKit and Firefox (the `snapshot` engines, each started once for the
module) at 600 and 375 px, light and dark, and compared pixel by pixel. Each email must be
identical in every shot, or carry an inlining-conflict finding (KM601) that says why the build
could not keep the source's cascade. premailer's build is compared the same way in Chromium, and
so is a build with cascade preservation turned off, which must break fidelity.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kmsg_authoring.compile.cascade import OFF
from kmsg_authoring.errors import ConfigError
from kmsg_authoring.review.browser import CHROMIUM, ENGINES, FIREFOX, WEBKIT
from tests.compile.fidelity import Pair, compare, confirmed, render
from tests.compile.fidelity_sets import PROBE, corpus_pairs, example_pairs, probe_pairs
from tests.conftest import CORPUS, requires_corpus
from tests.corpus_project import slug_for

pytestmark = [requires_corpus, pytest.mark.corpus, pytest.mark.browser]
# Render differences no finding explains, by engine: slug -> reason. docs/fidelity.md lists the same.
EXCEPTIONS: dict[str, dict[str, str]] = {CHROMIUM: {}, WEBKIT: {}, FIREFOX: {}}
# WebKit and Firefox are driven one image at a time (about 0.4 s each), so rendering every corpus email
# in both takes longer than the suite can spend: they render the examples, the probe, and the corpus
# emails whose cascade the build keeps or that differed before (Cerberus', the Mailchimp patterns);
# Chromium renders every email.
FRAMED_CORPUS: tuple[str, ...] = (
    "sendwithus-templates/cleave-survey.html",
    "sendwithus-templates/zen-flat-survey.html",
    "sendwithus-templates/airmail-welcome.html",
    "sendwithus-templates/meow-receipt.html",
    "cerberus/cerberus-fluid.html",
    "cerberus/cerberus-hybrid.html",
    "cerberus/cerberus-responsive.html",
    "cerberus/v1-template-default.html",
    "mailchimp-email-blueprints/modular-template-patterns.html",
)
# premailer's render differences in Chromium that no finding explains: slug -> reason. docs/fidelity.md
# lists the same.
_A_AROUND_TABLE = (
    "premailer parses with libxml2's HTML 4 parser, which closes an <a> before the <table> inside it:"
    " the button's table leaves its link (its corners' antialiasing changes, and only its text stays a link)"
)
PREMAILER_EXCEPTIONS: dict[str, str] = {
    "konsav-email-templates-explorational": _A_AROUND_TABLE,
    "konsav-email-templates-general": _A_AROUND_TABLE,
    "konsav-email-templates-promotional": _A_AROUND_TABLE,
}


@dataclass
class Fidelity:
    """What differs, by engine and build, and the KM601 findings of each build."""

    differs: dict[tuple[str, str], dict[str, list[str]]]  # (engine, build) -> slug -> what differs
    findings: dict[str, dict[str, list[str]]]  # build -> slug -> KM601 messages
    emails: dict[str, int]  # build -> how many emails were built
    shown: dict[tuple[str, str], int]  # (engine, build) -> how many of them the engine rendered

    def report(self) -> str:
        """Per engine and build: how many emails are identical, and each that differs, with its findings."""
        lines = []
        for (engine, build), differs in sorted(self.differs.items()):
            shown = self.shown[engine, build]
            lines.append(f"{engine} {build}: {shown - len(differs)} of {shown} rendered identical")
            for slug, found in sorted(differs.items()):
                lines.append(f"  {slug}: {'; '.join(found)}")
                lines += [f"    {m}" for m in self.findings[build].get(slug, [])]
        return "\n".join(lines) + "\n"


def _engines_present() -> None:
    from kmsg_authoring.review.engines import Engines

    try:
        Engines(ENGINES).check()
    except ConfigError as exc:
        if os.environ.get("KMSG_REQUIRE_BROWSER"):
            raise
        pytest.skip(f"a snapshot engine is not installed: {exc}")


@pytest.fixture(scope="module")
def fidelity(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fidelity]:
    """Build every variant first, then render all of them with one browser per engine."""
    _engines_present()
    root = tmp_path_factory.mktemp("fidelity")
    builds: dict[str, dict[str, Pair]] = {}
    findings: dict[str, dict[str, list[str]]] = {}
    builds["css-inline"], findings["css-inline"] = corpus_pairs(root / "css-inline")
    framed_out = set(builds["css-inline"]) - {slug_for(CORPUS / rel, CORPUS) for rel in FRAMED_CORPUS}
    examples, example_findings = example_pairs(root / "examples")
    builds["css-inline"].update(examples)
    findings["css-inline"].update(example_findings)
    builds["premailer"], findings["premailer"] = corpus_pairs(root / "premailer", "premailer")
    off, findings["off"] = corpus_pairs(root / "off", preserve_cascade=False)
    # An email whose look depends on keeping the cascade, on and off.
    for build, preserve in (("css-inline", True), ("off", False)):
        probe, probe_findings = probe_pairs(root / f"probe-{build}", preserve_cascade=preserve)
        (builds["css-inline"] if preserve else off).update(probe)
        findings[build].update(probe_findings)
    # Only what turning preservation off changes needs rendering again.
    builds["off"] = {slug: pair for slug, pair in off.items() if pair.compiled != builds["css-inline"][slug].compiled}

    def shown(engine: str, slug: str) -> bool:
        return engine == CHROMIUM or slug not in framed_out

    pages: dict[str, dict[str, str]] = {
        engine: {f"{slug}|source": pair.source for slug, pair in builds["css-inline"].items() if shown(engine, slug)}
        for engine in ENGINES
    }
    for build, pairs in builds.items():
        for engine in _engines(build):
            pages[engine].update({f"{slug}|{build}": p.compiled for slug, p in pairs.items() if shown(engine, slug)})
    images = render(pages)
    differs = {
        (engine, build): compare(
            images[engine], [(slug, f"{slug}|source", f"{slug}|{build}") for slug in pairs if shown(engine, slug)]
        )
        for build, pairs in builds.items()
        for engine in _engines(build)
    }
    # A difference counts when rendering both sides again, in new pages, shows it again.
    differs = confirmed(pages, differs, lambda build, slug: (f"{slug}|source", f"{slug}|{build}"))
    shown_count = {
        (engine, build): sum(shown(engine, slug) for slug in pairs)
        for build, pairs in builds.items()
        for engine in _engines(build)
    }
    result = Fidelity(differs, findings, {build: len(pairs) for build, pairs in builds.items()}, shown_count)
    if os.environ.get("KMSG_FIDELITY_REPORT"):  # the figures of docs/fidelity.md
        Path(os.environ["KMSG_FIDELITY_REPORT"]).write_text(result.report(), encoding="utf-8")
    yield result


def _engines(build: str) -> tuple[str, ...]:
    """premailer's build is compared in Chromium; the others (the off build is a few emails) in all three."""
    return (CHROMIUM,) if build == "premailer" else ENGINES


def _unexplained(differs: dict[str, list[str]], findings: dict[str, list[str]]) -> dict[str, list[str]]:
    """What differs without a KM601 finding saying why the cascade could not be kept."""
    return {
        slug: found
        for slug, found in differs.items()
        if not any(OFF not in message for message in findings.get(slug, []))
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_compiled_emails_look_as_written_or_say_why(fidelity: Fidelity, engine: str) -> None:
    assert fidelity.emails["css-inline"] >= 64
    differs = fidelity.differs[engine, "css-inline"]
    listed = EXCEPTIONS[engine]
    unexplained = _unexplained(differs, fidelity.findings["css-inline"])
    assert not {s: f for s, f in unexplained.items() if s not in listed}
    # The list stays true: an exception that no longer differs is taken off it (and off docs/fidelity.md).
    assert set(listed) <= set(differs), set(listed) - set(differs)


def test_premailer_changes_only_its_listed_exceptions(fidelity: Fidelity) -> None:
    differs = fidelity.differs[CHROMIUM, "premailer"]
    unexplained = _unexplained(differs, fidelity.findings["premailer"])
    assert set(unexplained) <= set(PREMAILER_EXCEPTIONS), unexplained
    assert set(PREMAILER_EXCEPTIONS) <= set(differs), set(PREMAILER_EXCEPTIONS) - set(differs)


@pytest.mark.parametrize("engine", ENGINES)
def test_without_cascade_preservation_compiled_emails_change(fidelity: Fidelity, engine: str) -> None:
    # The same emails built with `preserve_cascade = false`: media rules the inliner silences change
    # what phones and dark mode show, which only the "turned off" finding mentions.
    differs = fidelity.differs[engine, "off"]
    assert PROBE in _unexplained(differs, fidelity.findings["off"])
    assert all(any(OFF in m for m in fidelity.findings["off"].get(slug, [])) for slug in differs), differs
