"""Apply: send a plan's writes, then converge with publishes that ran at the same time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kmsg_authoring.errors import ApiError, KmsgError
from kmsg_authoring.model import TemplateStatus
from kmsg_authoring.publish.actions import ADD, CONFLICT, DRIFT, PRUNE, UNCHANGED, UPDATE, Action, Plan, changes_between
from kmsg_authoring.publish.remote import created_first, find_live, is_managed, normalize, remote_templates

if TYPE_CHECKING:
    from kmsg_authoring.api import MessagingClient

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


def _add(client: MessagingClient, plan: Plan, action: Action) -> tuple[dict[str, Any], bool]:
    """Add a template: the stored object and whether this run created it.

    After a failure that may have been applied, the client's one retry loop looks the name up before
    sending the add again; a template found that way may be another publish's, so it is not claimed.
    """
    recovered: list[dict[str, Any]] = []

    def applied() -> dict[str, Any] | None:
        # The managed copy created first, in one list request that is not retried on its own.
        found = next((r for r in find_live(client, plan.app_guid, action.name, retry=False) if is_managed(r)), None)
        if found is not None:
            client.log(f"'{action.name}' is stored (id {found.get('id')}); not adding it again")
            recovered.append(found)
        return found

    remote = client.add_template(action.send, applied=applied)
    return remote, not recovered


def _delete(client: MessagingClient, action: Action) -> dict[str, Any]:
    if action.remote_id is None:
        raise RuntimeError("an update or delete without a remote id")
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
            if action.remote_id is None:
                raise RuntimeError("an update or delete without a remote id")
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
            o.message = (
                f"added (id {o.remote.get('id') if o.remote else '?'}) but could not list the names "
                f"again to check for a publish running at the same time: {exc.message}"
            )
        return
    copies: dict[str, list[dict[str, Any]]] = {}
    for r in remotes:
        if is_managed(r):
            copies.setdefault(str(r.get("name", "")), []).append(r)
    for o in added:
        if o.remote is None:
            raise RuntimeError("an added template without its remote answer")
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
                o.message = (
                    f"another publish added it at the same time (id {kept.get('id')}, kept); deleting "
                    f"this run's copy (id {mine}) failed: {exc.message}"
                )
                continue
        o.remote = kept
        if changes_between(normalize(kept), normalize(o.action.send)):
            o.status = FAILED
            o.message = (
                f"another publish added it at the same time with other content (id {kept.get('id')}, "
                f"kept; this run's copy {mine} deleted); publish again to send this project's version"
            )
        else:
            o.status = SUPERSEDED
            o.message = (
                f"another publish added it at the same time (id {kept.get('id')}, kept); "
                f"this run's copy (id {mine}) was deleted"
            )
