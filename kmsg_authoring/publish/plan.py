"""Plan and apply: compare the compiled templates with what an environment holds, then publish.

Templates are matched by name within the environment's appGuid. A template the toolkit publishes
carries two adminTags entries: `model.MANAGED_TAG`, so that nothing else is ever touched, and a
publish record `kmsg-author-sha:<digest per field>`, a short digest of every stored field as it was
published. A managed remote template whose fields no longer match its record was edited elsewhere
(drift): it is left alone, naming the edited fields, unless forced.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kmsg_authoring.errors import ApiError, KmsgError
from kmsg_authoring.model import ADD_FIELDS, DEFAULT_STATUS, FIELD_TYPES, MANAGED_TAG, UPDATE_FIELDS, TemplateStatus

if TYPE_CHECKING:
    from kmsg_authoring.api import MessagingClient
    from kmsg_authoring.compile.contract import Change
    from kmsg_authoring.source.config import Config

# The fields the API stores for a template and the toolkit compares (appGuid is the match key).
COMPARED_FIELDS: tuple[str, ...] = tuple(f for f in ADD_FIELDS if f != "appGuid")
# Fields email-template/update cannot change (section 5.3).
NOT_UPDATABLE: tuple[str, ...] = tuple(f for f in COMPARED_FIELDS if f not in UPDATE_FIELDS)
RECORD_PREFIX = "kmsg-author-sha:"
DIGEST_LEN = 6

ADD, UPDATE, UNCHANGED, DRIFT, CONFLICT, PRUNE = "add", "update", "unchanged", "drift", "conflict", "prune"
KINDS: tuple[str, ...] = (ADD, UPDATE, UNCHANGED, DRIFT, CONFLICT, PRUNE)


class PublishBlocked(KmsgError):
    """The build or the linter found errors: nothing is sent."""


# -- stored fields, normalised --------------------------------------------------------------------


def split_tags(value: Any) -> list[str]:
    """The entries of an adminTags string."""
    if not isinstance(value, str):
        return []
    return [t.strip() for t in value.split(",") if t.strip()]


def is_own_tag(tag: str) -> bool:
    """A tag the toolkit manages itself (the managed mark or the publish record)."""
    return tag == MANAGED_TAG or tag.startswith(RECORD_PREFIX)


def normalize(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The compared fields of a template, local or remote, in one canonical shape.

    Absent, null and empty are the same; the status defaults to enabled; adminTags are the designer's
    own tags, sorted, without the toolkit's.
    """
    out: dict[str, Any] = {}
    for name in COMPARED_FIELDS:
        value = fields.get(name)
        if FIELD_TYPES[name] == "object":
            value = {} if value in (None, "") else value
        elif FIELD_TYPES[name] == "string[]":
            value = [] if value in (None, "") else list(value) if isinstance(value, (list, tuple)) else value
        elif name == "adminTags":
            value = ",".join(sorted({t for t in split_tags(value) if not is_own_tag(t)}))
        elif name == "status":
            value = value or DEFAULT_STATUS
        elif value is None:
            value = ""
        out[name] = value
    return out


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:DIGEST_LEN]


def record_tag(norm: Mapping[str, Any]) -> str:
    """The publish record of normalised fields: one short digest per compared field."""
    return RECORD_PREFIX + "".join(_digest(norm[f]) for f in COMPARED_FIELDS)


def parse_record(admin_tags: Any) -> dict[str, str] | None:
    """Field -> digest from the publish record in an adminTags string (None without a valid one)."""
    for tag in split_tags(admin_tags):
        if tag.startswith(RECORD_PREFIX):
            digests = tag[len(RECORD_PREFIX):]
            if len(digests) == DIGEST_LEN * len(COMPARED_FIELDS):
                return {f: digests[i * DIGEST_LEN:(i + 1) * DIGEST_LEN] for i, f in enumerate(COMPARED_FIELDS)}
    return None


def tags_for(norm: Mapping[str, Any]) -> str:
    """The adminTags to store: the designer's tags, the managed mark and the publish record."""
    return ",".join([*split_tags(norm["adminTags"]), MANAGED_TAG, record_tag(norm)])


def is_managed(remote: Mapping[str, Any]) -> bool:
    """Whether a remote template carries the managed mark."""
    return MANAGED_TAG in split_tags(remote.get("adminTags"))


def is_live(remote: Mapping[str, Any]) -> bool:
    """Whether a remote template exists for the toolkit (deleted ones stay listed with status deleted)."""
    return remote.get("status") != TemplateStatus.DELETED


def created_first(remote: Mapping[str, Any]) -> tuple[str, str]:
    """Sort key putting the copy created first in front; every publisher orders copies the same way."""
    return str(remote.get("createdAt") or ""), str(remote.get("id"))


# -- the plan -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalTemplate:
    """A compiled template as the publisher needs it."""

    slug: str
    folder: str
    payload: Mapping[str, Any]
    allow_breaking: tuple[str, ...] = ()  # kmsg: {contract: {allow_breaking: [...]}}

    @property
    def name(self) -> str:
        """The template name (the match key)."""
        return str(self.payload.get("name", ""))


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class FieldChange:
    """One field that differs: its remote value and its local one."""

    field: str
    before: Any
    after: Any

    def diff(self, before_label: str = "remote", after_label: str = "local") -> str:
        """The change as text: a unified diff for multi-line text, else the two values."""
        old, new = _show(self.before), _show(self.after)
        if "\n" in old or "\n" in new:
            lines = difflib.unified_diff(
                old.splitlines(), new.splitlines(), f"{before_label}", f"{after_label}", lineterm=""
            )
            return "\n".join(lines)
        return f"- {old}\n+ {new}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {"field": self.field, "before": self.before, "after": self.after}


@dataclass
class Action:
    """What the plan does for one template."""

    kind: str
    name: str
    slug: str | None = None
    folder: str | None = None
    remote_id: str | None = None
    changes: list[FieldChange] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)
    reason: str = ""
    send: dict[str, Any] = field(default_factory=dict)
    contract: list[Change] = field(default_factory=list)  # how the update changes the callers' contract

    @property
    def writes(self) -> bool:
        """Whether applying the action sends a write request (prune only when pruning)."""
        return self.kind in (ADD, UPDATE, PRUNE)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping; keys and order are stable."""
        return {
            "name": self.name,
            "action": self.kind,
            "slug": self.slug,
            "id": self.remote_id,
            "changes": [c.to_json() for c in self.changes],
            "drift": list(self.drift),
            "reason": self.reason,
            "contract": [c.to_json() for c in self.contract],
        }


@dataclass
class Plan:
    """Every action for an environment."""

    environment: str
    app_guid: str
    url: str
    actions: list[Action]
    prune: bool = False
    force: bool = False

    def of(self, kind: str) -> list[Action]:
        """The actions of one kind."""
        return [a for a in self.actions if a.kind == kind]

    @property
    def todo(self) -> list[Action]:
        """The actions publish sends a request for."""
        return [a for a in self.actions if a.kind in (ADD, UPDATE) or (a.kind == PRUNE and self.prune)]

    @property
    def blocked(self) -> list[Action]:
        """The actions publish refuses (drift, conflicts)."""
        return [a for a in self.actions if a.kind in (DRIFT, CONFLICT)]

    @property
    def nothing_to_publish(self) -> bool:
        """True when publish would send no write request and refuse nothing."""
        return not self.todo and not self.blocked

    def counts(self) -> dict[str, int]:
        """Number of actions of each kind."""
        return {kind: len(self.of(kind)) for kind in KINDS}

    def to_json(self) -> dict[str, Any]:
        """The plan as data for CI; keys and order are stable."""
        return {
            "environment": self.environment,
            "appGuid": self.app_guid,
            "prune": self.prune,
            "force": self.force,
            "nothingToPublish": self.nothing_to_publish,
            "summary": self.counts(),
            "templates": [a.to_json() for a in self.actions],
        }


def _changes(remote: Mapping[str, Any], local: Mapping[str, Any]) -> list[FieldChange]:
    changes = []
    for name in COMPARED_FIELDS:
        if remote[name] == local[name]:
            continue
        changes.append(FieldChange(name, remote[name], local[name]))
    return changes


def _add_request(app_guid: str, norm: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"appGuid": app_guid}
    body.update({f: v for f, v in norm.items() if f != "adminTags" and v not in ("", [], {})})
    body["adminTags"] = tags_for(norm)
    return body


def _plan_one(
    local: LocalTemplate,
    remotes: list[Mapping[str, Any]],
    app_guid: str,
    force: bool,
    allow_breaking: bool = False,
) -> Action:
    norm = normalize(local.payload)
    action = Action(ADD, local.name, local.slug, local.folder)
    declared = local.payload.get("appGuid")
    if declared not in (None, "", app_guid):
        action.kind = CONFLICT
        action.reason = (f"template.yaml names appGuid '{declared}' but this environment publishes to "
                         f"'{app_guid}'; remove appGuid from template.yaml or publish to its environment")
        return action
    if not remotes:
        action.send = _add_request(app_guid, norm)
        return action
    if len(remotes) > 1:
        ids = ", ".join(str(r.get("id")) for r in remotes)
        action.kind, action.reason = CONFLICT, f"{len(remotes)} remote templates share this name (ids {ids})"
        return action
    remote = remotes[0]
    action.remote_id = str(remote.get("id"))
    current = normalize(remote)
    action.changes = _changes(current, norm)
    if is_managed(remote):
        record = parse_record(remote.get("adminTags"))
        if record is not None:
            action.drift = [f for f in COMPARED_FIELDS if record[f] != _digest(current[f])]
        if not action.changes:
            if record is not None and not action.drift:
                action.kind = UNCHANGED
                return action
            # Edited elsewhere to what the project holds, or published without a record: record it now.
            action.kind, action.reason = UPDATE, "refresh the publish record"
            action.send = {"adminTags": tags_for(current)}
            return action
        if action.drift and not force:
            action.kind = DRIFT
            action.reason = (
                f"edited outside kmsg-author since the last publish ({', '.join(action.drift)}); "
                "pass --force to overwrite"
            )
            return action
        if action.drift:
            action.reason = f"overwrites edits made outside kmsg-author ({', '.join(action.drift)}) (--force)"
    elif not action.changes:
        action.kind, action.reason = UNCHANGED, "not managed by kmsg-author"
        return action
    elif not force:
        action.kind = CONFLICT
        action.reason = (
            f"a template with this name exists but is not managed by kmsg-author (no '{MANAGED_TAG}' "
            "in its adminTags); pass --force to take it over"
        )
        return action
    else:
        action.reason = "taken over (--force)"
    frozen = [c.field for c in action.changes if c.field in NOT_UPDATABLE]
    if frozen:
        action.kind = CONFLICT
        action.reason = (
            f"{', '.join(frozen)} cannot be changed by email-template/update; delete the remote "
            "template (or rename the local one) to publish it"
        )
        return action
    refused = _contract_check(action, remote, local, allow_breaking)
    if refused:
        action.kind = CONFLICT
        action.reason = (
            "breaking change for the services that send this template ("
            + "; ".join(c.message for c in refused)
            + "); pass --allow-breaking, or name the token under kmsg: {contract: {allow_breaking: [...]}}"
        )
        return action
    action.kind = UPDATE
    # The record describes what the remote holds after the update: changed fields from the project,
    # the others as they are.
    after = {**current, **{c.field: norm[c.field] for c in action.changes}}
    action.send = {c.field: norm[c.field] for c in action.changes if c.field != "adminTags"}
    action.send["adminTags"] = tags_for(after)
    return action


def _contract_check(
    action: Action, remote: Mapping[str, Any], local: LocalTemplate, allow_breaking: bool
) -> list[Change]:
    """Classify how the update changes the published contract; the breaking changes not allowed."""
    from kmsg_authoring.compile.contract import payload_changes, refused

    action.contract = payload_changes(remote, local.payload, local.slug)
    return refused(action.contract, local.allow_breaking, allow_all=allow_breaking)


def compute_plan(
    locals_: Sequence[LocalTemplate],
    remotes: Iterable[Mapping[str, Any]],
    *,
    environment: str,
    app_guid: str,
    url: str = "",
    prune: bool = False,
    force: bool = False,
    only: Collection[str] | None = None,
    allow_breaking: bool = False,
) -> Plan:
    """The plan that makes the remote templates of app_guid match the local ones.

    With only (template names), the plan holds actions for those names alone, prunes included.
    """
    by_name: dict[str, list[Mapping[str, Any]]] = {}
    for remote in remotes:
        if is_live(remote) and remote.get("appGuid", app_guid) == app_guid:
            by_name.setdefault(str(remote.get("name", "")), []).append(remote)
    names = {t.name for t in locals_}
    duplicates: list[Action] = []
    for name, items in by_name.items():
        if name in names and len(items) > 1 and all(is_managed(r) for r in items):
            # Left by publishes that ran at once: every run keeps the copy created first.
            kept, *extra = sorted(items, key=created_first)
            by_name[name] = [kept]
            reason = f"a duplicate of id {kept.get('id')} (the copy created first, which is kept)"
            duplicates.extend(
                Action(PRUNE, name, remote_id=str(r.get("id")),
                       reason=reason if prune else f"{reason}; deleted only with --prune")
                for r in extra
            )
    actions = [_plan_one(t, by_name.get(t.name, []), app_guid, force, allow_breaking) for t in locals_] + duplicates
    for name, items in sorted(by_name.items()):
        if name in names:
            continue
        for remote in items:
            if is_managed(remote):
                reason = "" if prune else "not in the project; deleted only with --prune"
                actions.append(Action(PRUNE, name, remote_id=str(remote.get("id")), reason=reason))
    if only is not None:
        actions = [a for a in actions if a.name in only]
    actions.sort(key=lambda a: (a.name, a.remote_id or ""))
    return Plan(environment, app_guid, url, actions, prune=prune, force=force)


# -- from the project to the plan -----------------------------------------------------------------


def local_templates(config: Config, slugs: Sequence[str] | None = None) -> list[LocalTemplate]:
    """Build and lint the project; every template, or PublishBlocked when anything failed."""
    from kmsg_authoring.build import build_project

    from kmsg_authoring.project_lint import build_problems

    report = build_project(config, slugs, write=True, lint=True)
    # Errors read as lint prints them (path:line:col: CODE message), sample errors included.
    lines = [str(p) for p in build_problems(config, report, sorted({*report.failures, *report.problems}))
             if p.is_error]
    if report.failures and not lines:  # cannot happen today; never let a failure through unnamed
        lines = [f"{slug}: {e}" for slug, errors in sorted(report.failures.items()) for e in errors]
    if lines:
        raise PublishBlocked(
            "the build or the linter found errors; nothing was sent:\n  " + "\n  ".join(lines)
        )
    from kmsg_authoring.compile.contract import allow_list

    templates = [
        LocalTemplate(slug, ct.folder, dict(ct.payload), tuple(allow_list(ct.settings)))
        for slug, ct in sorted(report.compiled.items())
    ]
    seen: dict[str, str] = {}
    for t in templates:
        if t.name in seen:
            raise PublishBlocked(
                f"templates {seen[t.name]} and {t.folder} have the same name '{t.name}'; "
                "names identify templates in an environment"
            )
        seen[t.name] = t.folder
    return templates


def remote_templates(client: MessagingClient, app_guid: str) -> list[dict[str, Any]]:
    """Every template of app_guid that is not deleted (one paged list)."""
    return [r for r in client.list_templates(appGuidIn=[app_guid]) if isinstance(r, dict) and is_live(r)]


def make_plan(
    client: MessagingClient,
    locals_: Sequence[LocalTemplate],
    *,
    environment: str,
    app_guid: str,
    prune: bool = False,
    force: bool = False,
    only: Collection[str] | None = None,
    allow_breaking: bool = False,
) -> Plan:
    """List the environment's templates and plan against them."""
    remotes = remote_templates(client, app_guid)
    return compute_plan(
        locals_, remotes, environment=environment, app_guid=app_guid, url=client.url, prune=prune,
        force=force, only=only, allow_breaking=allow_breaking,
    )


# -- applying it ----------------------------------------------------------------------------------

DONE, FAILED, SKIPPED = "done", "failed", "skipped"
# An add another publish made at the same time: its copy was created first and is kept, this run's deleted.
SUPERSEDED = "superseded"


@dataclass
class Outcome:
    """What happened to one action."""

    action: Action
    status: str  # done | failed | skipped | unchanged | superseded
    message: str = ""
    remote: dict[str, Any] | None = None
    # An add whose template this run created (not one found stored after an ambiguous failure).
    created: bool = False

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {**self.action.to_json(), "result": self.status, "message": self.message}


@dataclass
class PublishResult:
    """Every outcome of a publish run."""

    plan: Plan
    outcomes: list[Outcome]

    def where(self, status: str, kind: str | None = None) -> list[Outcome]:
        """Outcomes with a status (and an action kind)."""
        return [o for o in self.outcomes if o.status == status and (kind is None or o.action.kind == kind)]

    @property
    def ok(self) -> bool:
        """True when nothing failed and nothing was refused."""
        return not self.where(FAILED) and not self.where(SKIPPED)

    def to_json(self) -> dict[str, Any]:
        """The run as data for CI; keys and order are stable."""
        return {
            "environment": self.plan.environment,
            "appGuid": self.plan.app_guid,
            "ok": self.ok,
            "nothingToPublish": self.plan.nothing_to_publish,
            "summary": {
                "added": len(self.where(DONE, ADD)),
                "addedElsewhere": len(self.where(SUPERSEDED)),
                "updated": len(self.where(DONE, UPDATE)),
                "deleted": len(self.where(DONE, PRUNE)),
                "unchanged": len(self.where(UNCHANGED)),
                "failed": len(self.where(FAILED)),
                "untouched": len(self.where(SKIPPED)),
            },
            "templates": [o.to_json() for o in self.outcomes],
        }


def _find_published(client: MessagingClient, app_guid: str, name: str) -> dict[str, Any] | None:
    """The managed copy of name created first, in one list request that is not retried on its own."""
    found = client.list_templates(appGuidIn=[app_guid], nameEq=name, retry=False)
    live = [r for r in found if isinstance(r, dict) and is_live(r) and r.get("name") == name and is_managed(r)]
    return min(live, key=created_first) if live else None


def _add(client: MessagingClient, plan: Plan, action: Action) -> tuple[dict[str, Any], bool]:
    """Add a template: the stored object and whether this run created it.

    After a failure that may have been applied, the client's one retry loop looks the name up before
    sending the add again; a template found that way may be another publish's, so it is not claimed.
    """
    recovered: list[dict[str, Any]] = []

    def applied() -> dict[str, Any] | None:
        found = _find_published(client, plan.app_guid, action.name)
        if found is not None:
            client.log(f"'{action.name}' is stored (id {found.get('id')}); not adding it again")
            recovered.append(found)
        return found

    remote = client.add_template(action.send, applied=applied)
    return remote, not recovered


def _delete(client: MessagingClient, action: Action) -> dict[str, Any]:
    assert action.remote_id is not None
    try:
        return client.delete_template(action.remote_id)
    except ApiError as exc:
        # A retry after a dropped connection may find the template already deleted.
        if exc.status is None or exc.status >= 500 or exc.status in (401, 403):
            raise
        current = client.get_template(action.remote_id)
        if current.get("status") == TemplateStatus.DELETED:
            return current
        raise


def _apply_one(client: MessagingClient, plan: Plan, action: Action) -> Outcome:
    try:
        if action.kind == ADD:
            remote, ours = _add(client, plan, action)
            return Outcome(action, DONE, f"added (id {remote.get('id')})", remote, created=ours)
        if action.kind == UPDATE:
            assert action.remote_id is not None
            remote = client.update_template(action.remote_id, action.send)
            fields = ", ".join(c.field for c in action.changes) or "publish record"
            return Outcome(action, DONE, f"updated {fields}", remote)
        remote = _delete(client, action)
        return Outcome(action, DONE, "deleted", remote)
    except KmsgError as exc:
        return Outcome(action, FAILED, exc.message)


def apply_plan(
    client: MessagingClient,
    plan: Plan,
    *,
    concurrency: int = 4,
    on_done: Callable[[Outcome], None] | None = None,
) -> PublishResult:
    """Send the plan's writes with at most `concurrency` requests in flight; unchanged ones send nothing."""
    outcomes: list[Outcome] = []
    for action in plan.actions:
        if action.kind == UNCHANGED:
            outcomes.append(Outcome(action, UNCHANGED))
        elif action.kind in (DRIFT, CONFLICT):
            outcomes.append(Outcome(action, SKIPPED, action.reason))
    todo = plan.todo
    if todo:
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            futures = [pool.submit(_apply_one, client, plan, a) for a in todo]
            for future in as_completed(futures):
                outcome = future.result()
                outcomes.append(outcome)
                if on_done is not None:
                    on_done(outcome)
    converge(client, plan, outcomes)
    order = {id(a): i for i, a in enumerate(plan.actions)}
    outcomes.sort(key=lambda o: order[id(o.action)])
    return PublishResult(plan, outcomes)


def converge(client: MessagingClient, plan: Plan, outcomes: Sequence[Outcome]) -> None:
    """After adding, list the names again; where another publish added the same name at once, keep the
    copy created first and delete this run's own, so every run ends on the same single template.

    Outcomes change in place: an add whose copy lost becomes superseded (or failed when the copy kept
    holds other content, or this run's copy could not be deleted).
    """
    added = [o for o in outcomes if o.action.kind == ADD and o.status == DONE and o.created and o.remote]
    if not added:
        return
    try:
        # One paged list after every add finished: each name is listed again after its add.
        remotes = remote_templates(client, plan.app_guid)
    except KmsgError as exc:
        for o in added:
            o.status = FAILED
            o.message = (f"added (id {o.remote.get('id') if o.remote else '?'}) but could not list the names "
                         f"again to check for a publish running at the same time: {exc.message}")
        return
    copies: dict[str, list[dict[str, Any]]] = {}
    for r in remotes:
        if is_managed(r):
            copies.setdefault(str(r.get("name", "")), []).append(r)
    for o in added:
        assert o.remote is not None
        mine = str(o.remote.get("id"))
        found = sorted(copies.get(o.action.name, []), key=created_first)
        if not found or str(found[0].get("id")) == mine:
            continue
        kept = found[0]
        if any(str(r.get("id")) == mine for r in found):
            try:
                client.delete_template(mine)
            except KmsgError as exc:
                o.status = FAILED
                o.message = (f"another publish added it at the same time (id {kept.get('id')}, kept); deleting "
                             f"this run's copy (id {mine}) failed: {exc.message}")
                continue
        o.remote = kept
        if _changes(normalize(kept), normalize(o.action.send)):
            o.status = FAILED
            o.message = (f"another publish added it at the same time with other content (id {kept.get('id')}, "
                         f"kept; this run's copy {mine} deleted); publish again to send this project's version")
        else:
            o.status = SUPERSEDED
            o.message = (f"another publish added it at the same time (id {kept.get('id')}, kept); "
                         f"this run's copy (id {mine}) was deleted")


# -- text -----------------------------------------------------------------------------------------

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
            lines.append(_indent(change.diff(before, after), "        "))
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
