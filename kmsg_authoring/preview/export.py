"""One-shot previews: one HTML file per recipient plus an index, for CI to attach as artifacts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kmsg_authoring.errors import KmsgError, Location
from kmsg_authoring.preview.pages import export_index, export_site_index
from kmsg_authoring.render.renderer import QrEncoder, Rendering, Unresolved, locate_unresolved, render_sample, segno_qr

if TYPE_CHECKING:
    from kmsg_authoring.source.config import Config

INDEX = "index.html"
DEFAULT_OUT = "preview-out"
_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]+")


@dataclass
class Export:
    """What a one-shot preview wrote."""

    slug: str
    sample: str
    out_dir: Path
    files: list[Path] = field(default_factory=list)  # one per recipient, in the sample's order
    renderings: list[Rendering] = field(default_factory=list)
    unresolved: list[tuple[Location, str, Unresolved]] = field(default_factory=list)  # (where, user id, what)

    @property
    def index(self) -> Path:
        """The index.html listing every recipient's file."""
        return self.out_dir / INDEX


def file_name(i: int, user_id: str) -> str:
    """A recipient's file name: position and a filesystem-safe user id."""
    return f"{i + 1:02d}-{_UNSAFE.sub('_', user_id).strip('._') or 'recipient'}.html"


def export_preview(
    config: Config,
    slug: str,
    *,
    sample: str | None = None,
    out_dir: Path | None = None,
    qr_encoder: QrEncoder = segno_qr,
) -> Export:
    """Compile a template, render it for every recipient of a sample, write the files and an index."""
    from kmsg_authoring.compile import compile_template
    from kmsg_authoring.render.samples import load_sample
    from kmsg_authoring.source.project import discover

    if slug not in discover(config.src_dir):
        from kmsg_authoring.source.targets import no_template

        raise no_template(config, slug)
    compiled = compile_template(config, slug)
    chosen = load_sample(config, compiled, sample)
    if chosen.locale and compiled.locale not in (None, chosen.locale):
        # A sample that sets a locale is shown (and sent) in that locale's build of the template.
        compiled = compile_template(config, slug, locale=chosen.locale)
    renderings = render_sample(compiled, chosen, qr_encoder=qr_encoder)
    out = out_dir if out_dir is not None else config.root / DEFAULT_OUT / slug
    out.mkdir(parents=True, exist_ok=True)
    result = Export(slug, chosen.name, out, renderings=renderings)
    for i, rendering in enumerate(renderings):
        path = out / file_name(i, rendering.user_id)
        # Exactly the body the recipient's mail client receives.
        path.write_text(rendering.body, encoding="utf-8", newline="")
        result.files.append(path)
        result.unresolved.extend((locate_unresolved(compiled, u), rendering.user_id, u) for u in rendering.unresolved)
    entries = [(p.name, r) for p, r in zip(result.files, renderings, strict=False)]
    result.index.write_text(export_index(slug, str(compiled.payload.get("name") or slug), entries), encoding="utf-8")
    return result


@dataclass
class ExportAll:
    """What `preview --all` wrote: each template's export, and the templates that could not be rendered."""

    out_dir: Path
    exports: list[Export] = field(default_factory=list)
    failures: dict[str, KmsgError] = field(default_factory=dict)

    @property
    def index(self) -> Path:
        """The index.html linking every template's own index."""
        return self.out_dir / INDEX


def export_all(
    config: Config, *, sample: str | None = None, out_dir: Path | None = None, qr_encoder: QrEncoder = segno_qr
) -> ExportAll:
    """Export every template into out_dir/<slug>/ (default preview-out/), one failing template not stopping the rest."""
    from kmsg_authoring.source.project import discover

    out = out_dir if out_dir is not None else config.root / DEFAULT_OUT
    result = ExportAll(out)
    for slug in discover(config.src_dir):
        try:
            result.exports.append(
                export_preview(config, slug, sample=sample, out_dir=out / slug, qr_encoder=qr_encoder)
            )
        except KmsgError as exc:
            result.failures[slug] = exc
    out.mkdir(parents=True, exist_ok=True)
    rows = [
        (
            f"{e.slug}/{INDEX}",
            e.slug,
            f"{len(e.files)} recipient(s), sample {e.sample}"
            + (f", {len(e.unresolved)} unresolved" if e.unresolved else ""),
        )
        for e in result.exports
    ]
    rows += [("", slug, f"failed: {exc}") for slug, exc in result.failures.items()]
    result.index.write_text(export_site_index(sorted(rows, key=lambda r: r[1])), encoding="utf-8")
    return result
