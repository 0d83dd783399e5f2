"""report.html: every snapshot, with before, after and the highlighted difference side by side.

One section per email view (template, sample, recipient, width, scheme), the engines side by side
within it. The page is self-contained (its styles and script are inline; nothing is fetched) and
refers to the images beside it in the output folder, so the folder can be uploaded as one
artifact. Filters by status, engine and text run in the page.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from kmsg_authoring.review.compare import (
    ADDED,
    CHANGED,
    REMOVED,
    STATUSES,
    UNCHANGED,
    Comparison,
    ImageChange,
)
from kmsg_authoring.review.browser import ALL_ENGINES, CLIENTS

REPORT = "report.html"
_RANK = {CHANGED: 0, ADDED: 1, REMOVED: 2, UNCHANGED: 3}

_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1f2933;background:#f4f5f7}
header{background:#fff;padding:16px 24px;border-bottom:1px solid #d8dadf;position:sticky;top:0;z-index:1}
h1{margin:0 0 4px;font-size:20px}
.filters{display:flex;flex-wrap:wrap;gap:12px 20px;align-items:center;margin-top:8px}
.filters label{white-space:nowrap}
main{padding:16px 24px}
section.case{background:#fff;border:1px solid #d8dadf;border-radius:6px;margin:0 0 16px;padding:12px 16px}
section.case h2{font-size:15px;margin:0 0 8px}
section.case h2 small{color:#616e7c;font-weight:normal}
.engines{display:grid;gap:16px;grid-template-columns:repeat(var(--engines),minmax(0,1fr))}
.engine h3{font-size:13px;margin:0 0 6px;display:flex;gap:8px;align-items:baseline}
.engine h3 small{color:#616e7c;font-weight:normal}
.trio{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:6px}
figure{margin:0}
figcaption{font-size:12px;color:#616e7c}
figure img{width:100%;height:auto;border:1px solid #d8dadf;background:#fff;display:block}
.none{border:1px dashed #d8dadf;color:#9aa5b1;font-size:12px;padding:24px 4px;text-align:center}
.badge{font-size:11px;border-radius:10px;padding:1px 8px;color:#fff;background:#616e7c}
.badge.changed{background:#c62828}.badge.added{background:#2e7d32}.badge.removed{background:#6a1b9a}
.badge.unchanged{background:#9aa5b1}.badge.snapshot{background:#1565c0}
.hidden{display:none!important}
.muted{color:#616e7c}
"""

_SCRIPT = """
(function(){
  function apply(){
    var statuses=[].slice.call(document.querySelectorAll('input[name=status]:checked'))
      .map(function(i){return i.value});
    var engines=[].slice.call(document.querySelectorAll('input[name=engine]:checked')).map(function(i){return i.value});
    var text=(document.getElementById('q').value||'').toLowerCase();
    document.querySelectorAll('section.case').forEach(function(sec){
      var any=false;
      sec.querySelectorAll('.engine').forEach(function(cell){
        var show=engines.indexOf(cell.dataset.engine)>=0;
        cell.classList.toggle('hidden',!show);
        if(show&&statuses.indexOf(cell.dataset.status)>=0){any=true}
      });
      var match=!text||sec.dataset.search.indexOf(text)>=0;
      sec.classList.toggle('hidden',!(any&&match));
    });
    document.getElementById('shown').textContent=document.querySelectorAll('section.case:not(.hidden)').length;
  }
  document.querySelectorAll('.filters input').forEach(function(i){i.addEventListener('input',apply)});
  apply();
})();
"""


def _href(report_dir: Path, folder: Path, file: str) -> str:
    rel = os.path.relpath(folder / file, report_dir)
    return Path(rel).as_posix().replace("#", "%23").replace("?", "%3F").replace(" ", "%20")


def _figure(caption: str, href: str | None) -> str:
    if href is None:
        return f'<figure><figcaption>{escape(caption)}</figcaption><div class="none">none</div></figure>'
    return (
        f'<figure><figcaption>{escape(caption)}</figcaption><a href="{escape(href)}" target="_blank">'
        f'<img src="{escape(href)}" alt="{escape(caption)}" loading="lazy"></a></figure>'
    )


def _detail(change: ImageChange) -> str:
    d = change.diff
    if change.status == CHANGED and d is not None and d.bbox is not None:
        x, y, w, h = d.bbox
        return f"{d.share * 100:.2f}% of pixels, region {w}&times;{h} at ({x}, {y})"
    if change.status == UNCHANGED and d is not None and d.changed_pixels:
        return f"{d.share * 100:.3f}% of pixels, within the threshold"
    return ""


def _cell(change: ImageChange | None, engine: str, report_dir: Path, before_dir: Path | None, after_dir: Path) -> str:
    if change is None:
        return (
            f'<div class="engine" data-engine="{engine}" data-status="none"><h3>{escape(engine)}</h3>'
            '<div class="none">not snapshotted in this engine</div></div>'
        )
    status = change.status if before_dir is not None else "snapshot"
    before = _href(report_dir, before_dir, str(change.before["file"])) if change.before and before_dir else None
    after = _href(report_dir, after_dir, str(change.after["file"])) if change.after else None
    size = change.entry.get("size")
    dims = f"{size[0]}&times;{size[1]} px" if isinstance(size, list) and len(size) == 2 else ""
    head = (
        f'<h3>{escape(engine)} <span class="badge {status}">{status}</span> '
        f"<small>{_detail(change)} {dims}</small></h3>"
    )
    if before_dir is None:
        body = _figure("snapshot", after)
        return f'<div class="engine" data-engine="{engine}" data-status="{status}">{head}{body}</div>'
    diff = _href(report_dir, report_dir, change.diff_file) if change.diff_file else None
    trio = (
        _figure("before", before)
        + _figure("after", after)
        + (_figure("difference", diff) if change.status == CHANGED else _figure("difference", None))
    )
    return (
        f'<div class="engine" data-engine="{engine}" data-status="{change.status}">{head}'
        f'<div class="trio">{trio}</div></div>'
    )


def _case_key(entry: Mapping[str, Any]) -> tuple[str, str, str, int, str]:
    key = str(entry.get("file", ""))
    label = key.split("/")[2] if key.count("/") >= 3 else str(entry.get("recipient"))
    return (
        str(entry.get("template")),
        str(entry.get("sample")),
        label,
        -int(entry.get("width") or 0),
        str(entry.get("scheme")),
    )


def render_report(
    comparison: Comparison, report_dir: Path, *, baseline_label: str | None, engines: Sequence[str] | None = None
) -> str:
    """The report's HTML; without a baseline (baseline_label None) it is a gallery of the snapshots."""
    has_baseline = baseline_label is not None
    cases: dict[tuple[str, str, str, int, str], dict[str, ImageChange]] = {}
    for change in comparison.changes:
        cases.setdefault(_case_key(change.entry), {})[str(change.entry.get("engine"))] = change
    used = [e for e in ALL_ENGINES if any(e in c for c in cases.values())]
    columns = [e for e in (engines or used) if e in used] or used
    ordered = sorted(
        cases.items(), key=lambda kv: (min(_RANK[c.status] for c in kv[1].values()) if has_baseline else 0, kv[0])
    )
    sections = []
    for (template, sample, _label, neg_width, scheme), per_engine in ordered:
        recipient = str(next(iter(per_engine.values())).entry.get("recipient"))
        cells = "".join(
            _cell(
                per_engine.get(e), e, report_dir, comparison.before_dir if has_baseline else None, comparison.after_dir
            )
            for e in columns
        )
        search = " ".join([template, sample, recipient, scheme, str(-neg_width)]).lower()
        sections.append(
            f'<section class="case" data-search="{escape(search)}" data-template="{escape(template)}">'
            f"<h2>{escape(template)} <small>sample {escape(sample)} &middot; {escape(recipient)} &middot; "
            f"{-neg_width} px &middot; {escape(scheme)}</small></h2>"
            f'<div class="engines" style="--engines:{len(columns)}">{cells}</div></section>'
        )
    statuses = STATUSES if has_baseline else ("snapshot",)
    status_boxes = "".join(
        f'<label><input type="checkbox" name="status" value="{s}"{"" if s == UNCHANGED else " checked"}> '
        f"{s} ({comparison.count(s) if has_baseline else len(comparison.changes)})</label>"
        for s in statuses
    )
    engine_boxes = "".join(
        f'<label title="{escape(CLIENTS[e])}"><input type="checkbox" name="engine" value="{e}" checked> {e}</label>'
        for e in columns
    )
    title = "Snapshot changes" if has_baseline else "Snapshots"
    against = f"against <code>{escape(baseline_label or '')}</code>; " if has_baseline else ""
    threshold = (
        f"threshold {comparison.threshold * 100:g}% of pixels" if comparison.threshold else "any changed pixel counts"
    )
    intro = (
        f'<p class="muted">{comparison.summary()} {against}{threshold if has_baseline else ""}. '
        "Engines: "
        + "; ".join(f"{e}: {escape(CLIENTS[e])}" for e in columns)
        + ". Outlook for Windows renders with Word and is not shown by any engine.</p>"
    )
    empty = "" if sections else '<p class="muted">No images.</p>'
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{_STYLE}</style></head><body>"
        f'<header><h1>{title}</h1>{intro}<div class="filters">{status_boxes}'
        f'<span class="muted">|</span>{engine_boxes}'
        '<label>Filter <input id="q" type="search" placeholder="template, recipient, width"></label>'
        '<span class="muted"><span id="shown"></span> shown</span></div></header>'
        f"<main>{''.join(sections)}{empty}</main><script>{_SCRIPT}</script></body></html>\n"
    )


def write_report(comparison: Comparison, report_dir: Path, *, baseline_label: str | None) -> Path:
    """Write report.html into report_dir; returns its path."""
    from kmsg_authoring.source.files import write_atomic

    path = report_dir / REPORT
    write_atomic(path, render_report(comparison, report_dir, baseline_label=baseline_label))
    return path
