"""Accessibility of the rendered email: axe-core in headless Chromium, findings at their source lines.

Each recipient's email is rendered from the compiled body that still carries the compiler's element
markers (data-kmsg-loc), loaded offline at every snapshot width and colour scheme, and checked
with axe-core (bundled by the axe-playwright-python package; nothing is fetched) limited to the
rules that apply to email, plus two email-specific checks: layout tables without
role="presentation" and text below a minimum font size. A finding's element is mapped back to the
layout, partial or body line it came from, and says for which recipient, width and scheme it was
seen. Rules are KM901-KM909 of the lint catalog and configured like lint rules.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kmsg_authoring.errors import KmsgError, Location
from kmsg_authoring.lint.problem import Problem
from kmsg_authoring.review.browser import BrowserMissing, Shot
from kmsg_authoring.review.chromium import ChromiumEngine
from kmsg_authoring.review.page import offline_page
from kmsg_authoring.review.schemes import scheme_html
from kmsg_authoring.lint.rules.accessibility import A11Y_CODES, AXE_RULES, LAYOUT_TABLE, SMALL_TEXT

if TYPE_CHECKING:
    from kmsg_authoring.compile.types import CompiledTemplate
    from kmsg_authoring.lint.report import LintReport
    from kmsg_authoring.source.config import Config


_CHECK = """
async ({rules, layoutTables, minSize}) => {
  const mark = (el) => {
    const m = el && el.closest ? el.closest('[data-kmsg-loc]') : null;
    return m ? m.getAttribute('data-kmsg-loc') : null;
  };
  const describe = (el) => {
    if (!el || !el.tagName) return '';
    let s = '<' + el.tagName.toLowerCase();
    for (const a of ['id', 'class', 'role', 'href', 'src']) {
      let v = el.getAttribute(a);
      if (v === null) continue;
      if (v.startsWith('data:')) v = 'data:...';
      if (v.length > 60) v = v.slice(0, 57) + '...';
      s += ' ' + a + '="' + v + '"';
    }
    return s + '>';
  };
  const out = [];
  if (rules.length) {
    const result = await axe.run(document, {runOnly: {type: 'rule', values: rules},
                                            resultTypes: ['violations', 'incomplete'], selectors: true});
    // axe-core leaves text drawn in its background's own colour undecided (it could be hidden on
    // purpose); in an email it is text a reader cannot see, typically after a dark-mode rule.
    const invisible = (result.incomplete || []).filter((v) => v.id === 'color-contrast').map((v) => ({
      id: v.id, help: v.help,
      nodes: v.nodes.filter((n) => (n.any || []).some((c) => c.data && c.data.messageKey === 'equalRatio')),
    }));
    for (const v of result.violations.concat(invisible)) {
      for (const n of v.nodes) {
        const target = Array.isArray(n.target[0]) ? n.target[0][0] : n.target[0];
        let el = null;
        try { el = document.querySelector(target); } catch (e) { el = null; }
        const check = (n.any[0] || n.all[0] || n.none[0] || {});
        out.push({rule: v.id, help: v.help, mark: mark(el), element: describe(el),
                  data: check.data && typeof check.data === 'object' ? check.data : null});
      }
    }
  }
  if (layoutTables) {
    for (const t of document.querySelectorAll('table')) {
      const role = (t.getAttribute('role') || '').trim().toLowerCase();
      if (role === 'presentation' || role === 'none') continue;
      if (t.querySelector('th, caption, thead') || t.hasAttribute('summary')) continue;
      out.push({rule: 'layout-table', mark: mark(t), element: describe(t)});
    }
  }
  if (minSize > 0) {
    const seen = new Set();
    const walker = document.createTreeWalker(document.body || document.documentElement, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      const el = node.parentElement;
      if (!el || seen.has(el) || !node.nodeValue.trim()) continue;
      if (['SCRIPT', 'STYLE', 'TITLE', 'NOSCRIPT'].includes(el.tagName)) continue;
      seen.add(el);
      const style = getComputedStyle(el);
      const rects = el.getClientRects();
      if (!rects.length || style.visibility !== 'visible' || parseFloat(style.opacity) === 0) continue;
      const box = el.getBoundingClientRect();
      if (box.width < 1 || box.height < 1) continue;
      const size = parseFloat(style.fontSize);
      if (size < minSize) out.push({rule: 'small-text', mark: mark(el), element: describe(el), data: {size}});
    }
  }
  return out;
}
"""


@dataclass(frozen=True)
class Sighting:
    """Where a finding was seen: recipient, width and colour scheme."""

    recipient: str
    width: int
    scheme: str


@dataclass
class _Finding:
    code: str
    location: Location
    message: str
    template: str
    seen: list[Sighting] = field(default_factory=list)


def _axe_script() -> str:
    try:
        from axe_playwright_python.base import AXE_SCRIPT
    except ImportError:
        raise BrowserMissing(
            "kmsg-author a11y runs axe-core from the axe-playwright-python package, which is not "
            "installed: run pip install 'kmsg-author[browser]'"
        ) from None
    return str(AXE_SCRIPT)


def _message(code: str, item: Mapping[str, Any], min_size: int) -> str:
    element = str(item.get("element") or "")
    data = item.get("data") or {}
    if code == "KM901" and data.get("messageKey") == "equalRatio":
        return f"text is drawn in its background's colour ({data.get('fgColor')}) and cannot be seen in {element}"
    if code == "KM901" and data.get("contrastRatio") is not None:
        return (
            f"text contrast {data['contrastRatio']}:1 is below {data.get('expectedContrastRatio', '4.5:1')} "
            f"({data.get('fgColor')} on {data.get('bgColor')}) in {element}"
        )
    if code == LAYOUT_TABLE:
        return f'layout table without role="presentation": {element}'
    if code == SMALL_TEXT:
        return f"text too small ({float(data.get('size', 0)):g} < {min_size} px) in {element}"
    help_text = str(item.get("help") or item.get("rule"))
    help_text = help_text[:1].lower() + help_text[1:]
    return f"{help_text.rstrip('.')}: {element}" if element else help_text


def _where(seen: Sequence[Sighting]) -> str:
    by_recipient: dict[str, list[str]] = {}
    for s in seen:
        views = by_recipient.setdefault(s.recipient, [])
        view = f"{s.width} px {s.scheme}"
        if view not in views:
            views.append(view)
    return "; ".join(f"{r} at {', '.join(v)}" for r, v in by_recipient.items())


@dataclass
class A11yResult:
    """Problems found, the templates checked, and the templates that could not be checked."""

    report: LintReport
    failures: dict[str, list[KmsgError]] = field(default_factory=dict)


def _settings(config: Config, compiled: CompiledTemplate) -> dict[str, Any]:
    from kmsg_authoring.lint.settings import resolve

    return resolve(config.lint, compiled.settings.get("lint"), compiled.meta)


async def _check_views(
    engine: ChromiumEngine,
    views: list[tuple[Shot, dict[str, Any]]],
    script: str,
    progress: Callable[[str], None] | None,
) -> dict[str, list[dict[str, Any]]]:
    gate = asyncio.Semaphore(engine.parallel)
    out: dict[str, list[dict[str, Any]]] = {}

    async def one(shot: Shot, args: dict[str, Any]) -> None:
        async with gate:
            page = await engine.page(shot, javascript=True)
            try:
                await page.evaluate(script)
                out[shot.key] = list(await page.evaluate(_CHECK, args))
            finally:
                await page.close()
        if progress:
            progress(shot.key)

    await asyncio.gather(*(one(s, a) for s, a in views))
    return out


def check_accessibility(
    config: Config,
    slugs: Sequence[str] | None = None,
    *,
    widths: Sequence[int] | None = None,
    schemes: Sequence[str] | None = None,
    engine: ChromiumEngine | None = None,
    progress: Callable[[str], None] | None = None,
) -> A11yResult:
    """Run the accessibility rules on every recipient's email of the templates, at every width and scheme."""
    from kmsg_authoring.lint import sort_problems
    from kmsg_authoring.lint.report import LintReport
    from kmsg_authoring.render.renderer import render_all
    from kmsg_authoring.review.snapshot import _compile, in_sample_locale, samples_of, snapshot_settings

    settings = snapshot_settings(config)
    widths = tuple(widths or settings.widths)
    schemes = tuple(schemes or settings.schemes)
    script = _axe_script()
    chromium = engine or ChromiumEngine()
    chromium.check()
    targets, compiled, failures = _compile(config, slugs)
    result = A11yResult(LintReport((), tuple(targets)), dict(failures))
    views: list[tuple[Shot, dict[str, Any]]] = []
    context: dict[str, tuple[CompiledTemplate, Sighting, dict[str, Any]]] = {}
    for slug in targets:
        c = compiled.get(slug)
        if c is None:
            continue
        rule_settings = _settings(config, c)
        enabled = {code for code in A11Y_CODES if rule_settings[code].enabled}
        if not enabled:
            continue
        min_size = int(rule_settings[SMALL_TEXT].options.get("min-size", 13)) if SMALL_TEXT in enabled else 0
        args = {
            "rules": sorted(r for r, code in AXE_RULES.items() if code in enabled),
            "layoutTables": LAYOUT_TABLE in enabled,
            "minSize": min_size,
        }
        for sample in samples_of(config, c, result.failures):
            shown = in_sample_locale(compiled, c, sample)  # a Hebrew sample is checked in the Hebrew build
            marked = {**shown.payload, "body": shown.marked_body}
            for rendering in render_all(marked, sample.msg_params, sample.users, sample.recipients):
                for scheme in schemes:
                    page = offline_page(scheme_html(rendering.body, scheme))
                    for width in widths:
                        key = f"{slug}/{sample.name}/{rendering.user_id}/{width}/{scheme}"
                        views.append((Shot(key, page, width, scheme), args))
                        context[key] = (shown, Sighting(rendering.user_id, width, scheme), rule_settings)
    try:
        found = chromium.run(_check_views(chromium, views, script, progress)) if views else {}
    finally:
        if engine is None:
            chromium.close()
    merged: dict[tuple[str, str, Location, str], _Finding] = {}
    for key in (k for k in context if k in found):
        c, sighting, rule_settings = context[key]
        min_size = int(rule_settings[SMALL_TEXT].options.get("min-size", 13))
        for item in found[key]:
            rule = str(item.get("rule"))
            code = {"layout-table": LAYOUT_TABLE, "small-text": SMALL_TEXT}.get(rule) or AXE_RULES.get(rule)
            if code is None:
                continue
            loc = c.source_map.element_location(item.get("mark")) or c.body_location
            message = _message(code, item, min_size)
            ident = (c.slug, code, loc, message)
            finding = merged.setdefault(ident, _Finding(code, loc, message, c.slug))
            if sighting not in finding.seen:
                finding.seen.append(sighting)
    problems = []
    from kmsg_authoring.lint import catalog

    rules = catalog()
    for f in merged.values():
        setting = context_setting(context, f.template, f.code)
        problems.append(
            Problem(
                f.location, f.code, rules[f.code].name, setting, f"{f.message} (seen for {_where(f.seen)})", f.template
            )
        )
    result.report = LintReport(tuple(sort_problems(problems)), tuple(targets))
    return result


def context_setting(context: Mapping[str, tuple[Any, Sighting, dict[str, Any]]], slug: str, code: str) -> str:
    """The severity a template's settings give a rule."""
    for c, _, rule_settings in context.values():
        if c.slug == slug:
            return str(rule_settings[code].severity)
    raise KeyError(slug)


def problems_for(path: Path) -> list[Problem]:
    """Problems of an a11y JSON report written with --format json (the CI workflow's base side)."""
    import json

    data = json.loads(path.read_text(encoding="utf-8"))
    return [Problem.from_json(p) for p in data.get("problems", [])]


def load_baseline(path: str) -> list[Problem]:
    """The problems of a baseline a11y JSON report; UsageError when the file is not one."""
    from kmsg_authoring.errors import UsageError

    try:
        return problems_for(Path(path))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"--baseline {path}: not an a11y JSON report ({exc})") from None


def new_since(problems: Sequence[Problem], baseline: Sequence[Problem]) -> list[Problem]:
    """Problems absent from the baseline; lines move when a file is edited, so they are matched without them."""
    known = {(p.template, p.code, p.location.path, p.message) for p in baseline}
    return [p for p in problems if (p.template, p.code, p.location.path, p.message) not in known]
