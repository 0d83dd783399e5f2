"""Plan: compare the compiled templates with what an environment holds, as data.

Templates are matched by name within the environment's appGuid. What happens to each local template
is decided by `RULES`, a table of conditions to actions read top to bottom: the first rule whose
condition holds gives the action's kind, its reason and the request it sends. A managed remote
template edited elsewhere since the last publish (drift, see `remote`) is left alone unless forced.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from kmsg_authoring.model import MANAGED_TAG, TEMPLATE_FILE
from kmsg_authoring.publish.actions import (
    ADD,
    CONFLICT,
    DRIFT,
    PRUNE,
    UNCHANGED,
    UPDATE,
    Action,
    ActionKind,
    FieldChange,
    LocalTemplate,
    Plan,
    PublishBlocked,
    changes_between,
)
from kmsg_authoring.publish.remote import (
    COMPARED_FIELDS,
    NOT_UPDATABLE,
    created_first,
    digest,
    is_live,
    is_managed,
    normalize,
    parse_record,
    remote_templates,
    tags_for,
)

if TYPE_CHECKING:
    from kmsg_authoring.api import MessagingClient
    from kmsg_authoring.contract.template import Change
    from kmsg_authoring.source.config import Config


# -- one template: the facts, then the table ------------------------------------------------------


@dataclass
class Situation:
    """What is known about one local template against the environment; each fact is worked out once, when asked."""

    local: LocalTemplate
    remotes: list[Mapping[str, Any]]
    app_guid: str
    force: bool
    allow_breaking: bool = False

    @cached_property
    def norm(self) -> dict[str, Any]:
        """The local template's compared fields, normalised."""
        return normalize(self.local.payload)

    @cached_property
    def declared_guid(self) -> Any:
        """The appGuid template.yaml names, if any."""
        return self.local.payload.get("appGuid")

    @property
    def remote(self) -> Mapping[str, Any]:
        """The one remote template of this name (asked only once the rules know there is exactly one)."""
        (remote,) = self.remotes
        return remote

    @cached_property
    def current(self) -> dict[str, Any]:
        """The remote template's compared fields, normalised."""
        return normalize(self.remote)

    @cached_property
    def changes(self) -> list[FieldChange]:
        """The fields the local template changes."""
        return changes_between(self.current, self.norm)

    @cached_property
    def managed(self) -> bool:
        """Whether the remote template carries the managed mark."""
        return is_managed(self.remote)

    @cached_property
    def recorded(self) -> bool:
        """Whether the remote template carries a valid publish record."""
        return self.managed and parse_record(self.remote.get("adminTags")) is not None

    @cached_property
    def drift(self) -> list[str]:
        """The fields edited elsewhere since the last publish (by the publish record)."""
        record = parse_record(self.remote.get("adminTags")) if self.managed else None
        if record is None:
            return []
        return [f for f in COMPARED_FIELDS if record[f] != digest(self.current[f])]

    @cached_property
    def frozen(self) -> list[str]:
        """Changed fields email-template/update cannot change."""
        return [c.field for c in self.changes if c.field in NOT_UPDATABLE]

    @cached_property
    def contract(self) -> list[Change]:
        """How the update changes the contract of the services that send the template."""
        from kmsg_authoring.contract.template import payload_changes

        return payload_changes(self.remote, self.local.payload, self.local.slug)

    @cached_property
    def refused(self) -> list[Change]:
        """The breaking contract changes that are not allowed."""
        from kmsg_authoring.contract.template import refused

        return refused(self.contract, self.local.allow_breaking, allow_all=self.allow_breaking)


def _add_request(s: Situation) -> dict[str, Any]:
    body: dict[str, Any] = {"appGuid": s.app_guid}
    body.update({f: v for f, v in s.norm.items() if f != "adminTags" and v not in ("", [], {})})
    body["adminTags"] = tags_for(s.norm)
    return body


def _refresh_request(s: Situation) -> dict[str, Any]:
    return {"adminTags": tags_for(s.current)}


def _update_request(s: Situation) -> dict[str, Any]:
    # The record describes what the remote holds after the update: changed fields from the project,
    # the others as they are.
    after = {**s.current, **{c.field: s.norm[c.field] for c in s.changes}}
    send = {c.field: s.norm[c.field] for c in s.changes if c.field != "adminTags"}
    send["adminTags"] = tags_for(after)
    return send


def _update_reason(s: Situation) -> str:
    if s.drift:
        return f"overwrites edits made outside kmsg-author ({', '.join(s.drift)}) (--force)"
    return "" if s.managed else "taken over (--force)"


@dataclass(frozen=True)
class Rule:
    """A row of the planning table: when `when` holds, the action is `kind` for `reason`, sending `send`."""

    name: str  # the situation, in words
    kind: ActionKind
    when: Callable[[Situation], bool]
    reason: Callable[[Situation], str] = lambda s: ""
    send: Callable[[Situation], dict[str, Any]] = lambda s: {}
    compared: bool = True  # the action shows the comparison with the one remote template
    contract: bool = False  # the action shows the contract changes


RULES: tuple[Rule, ...] = (
    Rule(
        f"{TEMPLATE_FILE} names another appGuid",
        CONFLICT,
        lambda s: s.declared_guid not in (None, "", s.app_guid),
        compared=False,
        reason=lambda s: (
            f"{TEMPLATE_FILE} names appGuid '{s.declared_guid}' but this environment publishes to "
            f"'{s.app_guid}'; remove appGuid from {TEMPLATE_FILE} or publish to its environment"
        ),
    ),
    Rule("not published yet", ADD, lambda s: not s.remotes, send=_add_request, compared=False),
    Rule(
        "several remote templates share the name",
        CONFLICT,
        lambda s: len(s.remotes) > 1,
        compared=False,
        reason=lambda s: (
            f"{len(s.remotes)} remote templates share this name (ids {', '.join(str(r.get('id')) for r in s.remotes)})"
        ),
    ),
    Rule(
        "managed, same content, recorded",
        UNCHANGED,
        lambda s: s.managed and not s.changes and s.recorded and not s.drift,
    ),
    # Edited elsewhere to what the project holds, or published without a record: record it now.
    Rule(
        "managed, same content, record stale or missing",
        UPDATE,
        lambda s: s.managed and not s.changes,
        send=_refresh_request,
        reason=lambda s: "refresh the publish record",
    ),
    Rule(
        "managed, edited elsewhere, not forced",
        DRIFT,
        lambda s: s.managed and bool(s.drift) and not s.force,
        reason=lambda s: (
            f"edited outside kmsg-author since the last publish ({', '.join(s.drift)}); pass --force to overwrite"
        ),
    ),
    Rule(
        "not managed, same content",
        UNCHANGED,
        lambda s: not s.managed and not s.changes,
        reason=lambda s: "not managed by kmsg-author",
    ),
    Rule(
        "not managed, not forced",
        CONFLICT,
        lambda s: not s.managed and not s.force,
        reason=lambda s: (
            f"a template with this name exists but is not managed by kmsg-author (no '{MANAGED_TAG}' "
            "in its adminTags); pass --force to take it over"
        ),
    ),
    Rule(
        "a changed field that an update cannot change",
        CONFLICT,
        lambda s: bool(s.frozen),
        reason=lambda s: (
            f"{', '.join(s.frozen)} cannot be changed by email-template/update; delete the remote "
            "template (or rename the local one) to publish it"
        ),
    ),
    Rule(
        "a breaking contract change not allowed",
        CONFLICT,
        lambda s: bool(s.refused),
        contract=True,
        reason=lambda s: (
            "breaking change for the services that send this template ("
            + "; ".join(c.message for c in s.refused)
            + "); pass --allow-breaking, or name the token under kmsg: {contract: {allow_breaking: [...]}}"
        ),
    ),
    Rule("otherwise: an update", UPDATE, lambda s: True, send=_update_request, reason=_update_reason, contract=True),
)


def plan_one(s: Situation) -> Action:
    """The action of the first rule of RULES that holds for a local template."""
    rule = next(r for r in RULES if r.when(s))
    action = Action(rule.kind, s.local.name, s.local.slug, s.local.folder, reason=rule.reason(s), send=rule.send(s))
    if rule.compared:
        action.remote_id = str(s.remote.get("id"))
        action.changes = s.changes
        action.drift = s.drift
    if rule.contract:
        action.contract = s.contract
    return action


# -- every template ---------------------------------------------------------------------------------


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
                Action(
                    PRUNE,
                    name,
                    remote_id=str(r.get("id")),
                    reason=reason if prune else f"{reason}; deleted only with --prune",
                )
                for r in extra
            )
    actions = [plan_one(Situation(t, by_name.get(t.name, []), app_guid, force, allow_breaking)) for t in locals_]
    actions += duplicates
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
    from kmsg_authoring.project.build import BuildOptions, build_project
    from kmsg_authoring.project.lint import build_problems

    report = build_project(config, slugs, BuildOptions(write=True, lint=True))
    # Errors read as lint prints them (path:line:col: CODE message), sample errors included.
    lines = [str(p) for p in build_problems(config, report, sorted({*report.failures, *report.problems})) if p.is_error]
    if report.failures and not lines:  # cannot happen today; never let a failure through unnamed
        lines = [f"{slug}: {e}" for slug, errors in sorted(report.failures.items()) for e in errors]
    if lines:
        raise PublishBlocked("the build or the linter found errors; nothing was sent:\n  " + "\n  ".join(lines))
    from kmsg_authoring.contract.template import allow_list

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
        locals_,
        remotes,
        environment=environment,
        app_guid=app_guid,
        url=client.url,
        prune=prune,
        force=force,
        only=only,
        allow_breaking=allow_breaking,
    )
