"""The emails the fidelity test and benchmark compare: the shared corpus and the example project, built."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from kmsg_authoring.build import BuildReport, build_project
from kmsg_authoring.compile.types import MARK_RE
from kmsg_authoring.source.config import load_config
from tests.compile.fidelity import Pair
from tests.conftest import CORPUS, EXAMPLES, REPO, corpus_files
from tests.corpus_project import make_corpus_project

INLINING_CONFLICT = "KM601"


def _built(root: Path) -> BuildReport:
    report = build_project(load_config(root))  # as `kmsg-author build` runs: lint on, outputs written
    if report.failures:
        raise AssertionError({slug: [str(e) for e in errors] for slug, errors in report.failures.items()})
    return report


def _findings(report: BuildReport) -> dict[str, list[str]]:
    return {
        key: [str(p) for p in problems if p.code == INLINING_CONFLICT]
        for key, problems in report.problems.items()
        if any(p.code == INLINING_CONFLICT for p in problems)
    }


def corpus_pairs(
    root: Path, inliner: str = "css-inline", preserve_cascade: bool = True
) -> tuple[dict[str, Pair], dict[str, list[str]]]:
    """Every corpus file built with default settings: the body file as written against build/<slug>.html,
    and the KM601 findings by slug."""
    slugs = make_corpus_project(root, corpus_files(), CORPUS, inliner, preserve_cascade=preserve_cascade)
    report = _built(root)
    pairs = {
        slug: Pair(
            (root / "templates_src" / slug / "body.html").read_text(encoding="utf-8"),
            (root / "build" / f"{slug}.html").read_text(encoding="utf-8"),
        )
        for slug in slugs
    }
    return pairs, _findings(report)


def example_pairs(
    root: Path, inliner: str = "css-inline", preserve_cascade: bool = True
) -> tuple[dict[str, Pair], dict[str, list[str]]]:
    """The example project's templates (each locale) built: the HTML before inlining against the body sent."""
    shutil.copytree(EXAMPLES, root / "templates_src")
    settings = (REPO / "kmsg.toml").read_text(encoding="utf-8")
    build = f'[build]\ninliner = "{inliner}"\n' + ("" if preserve_cascade else "preserve_cascade = false\n")
    settings = re.sub(r"^\[build\]\n(?:inliner = .*\n)?", lambda _: build, settings, count=1, flags=re.MULTILINE)
    (root / "kmsg.toml").write_text(settings, encoding="utf-8")
    report = _built(root)
    pairs = {
        f"examples-{key}": Pair(MARK_RE.sub("", compiled.rendered), compiled.body)
        for key, compiled in sorted(report.compiled.items())
    }
    return pairs, {f"examples-{key}": found for key, found in _findings(report).items()}


PROBE = "cascade-probe"
# A media rule and a dark-mode rule that win over the plain rule in the source (as specific, later):
# at 375 px the cell is 100 px wide, in dark mode navy. Inlining without keeping the cascade loses both.
PROBE_BODY = """\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><style>
td.cell { width: 300px; height: 40px; background: #cc0000; }
@media (max-width: 480px) { td[class="cell"] { width: 100px; } }
@media (prefers-color-scheme: dark) { td[class="cell"] { background: #000080; } }
</style></head>
<body><table cellpadding="0" cellspacing="0"><tr><td class="cell">&nbsp;</td><td>Hi {recipient.firstName}</td></tr>
</table></body></html>
"""


def probe_pairs(
    root: Path, inliner: str = "css-inline", preserve_cascade: bool = True
) -> tuple[dict[str, Pair], dict[str, list[str]]]:
    """A one-template project whose look depends on keeping the cascade: the body as written against the build."""
    folder = root / "templates_src" / PROBE
    folder.mkdir(parents=True)
    (folder / "template.yaml").write_text(
        'name: Probe\nsubject: Hi\ntoAttributePath: "{recipient.email}"\nmsgParamsMap:\n  recipient: {type: User}\n',
        encoding="utf-8",
    )
    (folder / "body.html").write_text(PROBE_BODY, encoding="utf-8")
    cascade = "" if preserve_cascade else "preserve_cascade = false\n"
    (root / "kmsg.toml").write_text(f'[build]\ninliner = "{inliner}"\n{cascade}', encoding="utf-8")
    report = _built(root)
    return {PROBE: Pair(PROBE_BODY, (root / "build" / f"{PROBE}.html").read_text(encoding="utf-8"))}, _findings(report)
