"""What publishing would do, as data: the kinds of action, one action per template, the plan of them all.

`plan.py` decides these from the project and the environment; `apply.py` carries them out and
`format.py` shows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from kmsg_authoring.errors import KmsgError
from kmsg_authoring.publish.remote import COMPARED_FIELDS

if TYPE_CHECKING:
    from kmsg_authoring.contract.template import Change


class ActionKind(StrEnum):
    """What publishing does with one template; the plan's rows are these, in this order of listing."""

    ADD = "add"  # not published yet: email-template/add
    UPDATE = "update"  # the source differs, or the publish record is stale: email-template/update
    UNCHANGED = "unchanged"  # nothing to send
    DRIFT = "drift"  # a managed template edited elsewhere since the last publish: refused unless forced
    CONFLICT = "conflict"  # publishing would be wrong (name shared, not managed, frozen field...): refused
    PRUNE = "prune"  # a managed remote template whose source is gone: deleted only when asked


ADD, UPDATE, UNCHANGED, DRIFT, CONFLICT, PRUNE = tuple(ActionKind)
KINDS: tuple[ActionKind, ...] = tuple(ActionKind)


class PublishBlocked(KmsgError):
    """The build or the linter found errors: nothing is sent."""


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


@dataclass(frozen=True)
class FieldChange:
    """One field that differs: its remote value and its local one."""

    field: str
    before: Any
    after: Any

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {"field": self.field, "before": self.before, "after": self.after}


@dataclass
class Action:
    """What the plan does for one template."""

    kind: ActionKind
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


def changes_between(remote: Mapping[str, Any], local: Mapping[str, Any]) -> list[FieldChange]:
    """The compared fields that differ between two normalised templates."""
    return [FieldChange(name, remote[name], local[name]) for name in COMPARED_FIELDS if remote[name] != local[name]]
