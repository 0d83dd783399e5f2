"""Plans, publish runs and test deliveries in, text for people out (JSON comes from each object's to_json)."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kmsg_authoring.publish.apply import FAILED, SKIPPED, PublishResult
from kmsg_authoring.publish.actions import ADD, CONFLICT, DRIFT, PRUNE, UNCHANGED, UPDATE, Action, FieldChange, Plan

if TYPE_CHECKING:
    from kmsg_authoring.publish.ids import TemplateId
    from kmsg_authoring.publish.sendtest import Delivery


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def field_diff(change: FieldChange, before_label: str = "remote", after_label: str = "local") -> str:
    """A changed field as text: a unified diff for multi-line text, else the two values."""
    old, new = _show(change.before), _show(change.after)
    if "\n" in old or "\n" in new:
        lines = difflib.unified_diff(old.splitlines(), new.splitlines(), before_label, after_label, lineterm="")
        return "\n".join(lines)
    return f"- {old}\n+ {new}"


_MARKS = {ADD: "+", UPDATE: "~", UNCHANGED: "=", DRIFT: "!", CONFLICT: "!", PRUNE: "-"}


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def format_action(action: Action, plan: Plan) -> str:
    """One plan entry as text; an update lists every changed field, the body as a unified diff."""
    where = f"  ({action.folder})" if action.folder else f"  (id {action.remote_id})" if action.remote_id else ""
    lines = [f"  {_MARKS[action.kind]} {action.kind:<9} {action.name}{where}"]
    if action.reason and not (action.kind == PRUNE and plan.prune):
        lines.append(f"      {action.reason}")
    if action.kind in (UPDATE, DRIFT, CONFLICT):
        for change in action.changes:
            before = f"remote {action.name} {change.field}"
            after = f"{action.folder}/body.html (compiled)" if change.field == "body" else f"local {change.field}"
            lines.append(f"      {change.field}:")
            lines.append(_indent(field_diff(change, before, after), "        "))
    if action.contract:
        lines.append("      contract (for the services that send it):")
        lines.extend(f"        {c}" for c in sorted(action.contract, key=lambda c: (not c.breaking, c.subject)))
    return "\n".join(lines)


def format_plan(plan: Plan) -> str:
    """The whole plan as text, ending with a summary line (or 'nothing to publish')."""
    head = f"plan for {plan.environment} (appGuid {plan.app_guid}):"
    body = [format_action(a, plan) for a in plan.actions]
    counts = plan.counts()
    if plan.nothing_to_publish:
        tail = f"nothing to publish ({counts[UNCHANGED]} unchanged)"
    else:
        parts = [f"{counts[ADD]} to add", f"{counts[UPDATE]} to update", f"{counts[UNCHANGED]} unchanged"]
        prune_word = "to delete" if plan.prune else "not in the project (kept without --prune)"
        for kind, word in ((DRIFT, "drifted (refused)"), (CONFLICT, "in conflict (refused)"), (PRUNE, prune_word)):
            if counts[kind]:
                parts.append(f"{counts[kind]} {word}")
        tail = ", ".join(parts)
    return "\n".join([head, *body, tail])


def format_result(result: PublishResult) -> str:
    """The end-of-run summary: what was done, what failed and what was left untouched."""
    plan = result.plan
    summary = result.to_json()["summary"]
    if plan.nothing_to_publish:
        lines = [f"nothing to publish to {plan.environment} ({summary['unchanged']} unchanged)"]
    else:
        head = (
            f"published to {plan.environment}: {summary['added']} added, {summary['updated']} updated, "
            f"{summary['deleted']} deleted, {summary['unchanged']} unchanged"
        )
        if summary["addedElsewhere"]:
            head += f", {summary['addedElsewhere']} added by another publish at the same time"
        lines = [head]
    failed = result.where(FAILED)
    skipped = result.where(SKIPPED)
    if failed:
        lines.append(f"{len(failed)} failed:")
        lines.extend(f"  {o.action.name}: {o.message}" for o in failed)
    untouched = skipped + failed
    if untouched:
        lines.append("left untouched: " + ", ".join(sorted(o.action.name for o in untouched)))
        for o in skipped:
            lines.append(f"  {o.action.name}: {o.action.kind}: {o.message}")
    local_names = {a.name for a in plan.actions if a.kind != PRUNE}
    kept = plan.of(PRUNE) if not plan.prune else []
    orphans = [a for a in kept if a.name not in local_names]
    if orphans:
        lines.append(
            f"{len(orphans)} managed remote template(s) not in the project, kept (use --prune to delete): "
            + ", ".join(a.name for a in orphans)
        )
    duplicates = [a for a in kept if a.name in local_names]
    if duplicates:
        lines.append(
            f"{len(duplicates)} duplicate managed copies (the one created first is used), kept (use --prune "
            "to delete): " + ", ".join(f"{a.name} (id {a.remote_id})" for a in duplicates)
        )
    return "\n".join(lines)


def format_delivery(delivery: Delivery) -> str:
    """The delivery status as text."""
    lines = [
        (
            f"sent '{delivery.name}' (template {delivery.template_id}) to {', '.join(delivery.recipients)} "
            f"with sample '{delivery.sample}', session {delivery.session}"
        ),
        f"bulk {delivery.bulk_id or '?'}: {delivery.status}"
        + (f" ({delivery.error})" if delivery.error else "")
        + (f"; still not finished after {delivery.waited:.0f} s" if delivery.timed_out else ""),
    ]
    counts = {k: v for k, v in delivery.stats.items() if isinstance(v, int)}
    if counts:
        lines.append("delivery: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    else:
        lines.append("delivery: no statistics yet")
    return "\n".join(lines)


def format_ids(rows: Iterable[TemplateId]) -> str:
    """A table: template, locale, remote id (or 'not published'), name."""
    rows = list(rows)
    width = max([len(r.slug) for r in rows] + [8])
    lines = [f"{'template':<{width}}  locale  id               name"]
    for r in rows:
        lines.append(f"{r.slug:<{width}}  {(r.locale or '-'):<6}  {(r.id or 'not published'):<15}  {r.name}")
    return "\n".join(lines)
