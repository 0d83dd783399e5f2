"""Send a published template to test recipients and follow its delivery.

The message carries a sample's msgParams and a `session` label that marks it as a test; delivery is
followed through message/list and message/stats, polling with increasing intervals (section 13).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kmsg_authoring.errors import UsageError
from kmsg_authoring.model import BULK_STATUSES, POLL_INTERVALS, BulkStatus, DiscreteStatus
from kmsg_authoring.publish.remote import find_live

if TYPE_CHECKING:
    from kmsg_authoring.api import MessagingClient
    from kmsg_authoring.source.config import Config

SESSION_PREFIX = "kmsg-author-test"
# Bulk statuses after which nothing changes any more (section 7.1).
FINAL_STATUSES: tuple[str, ...] = tuple(s for s in BULK_STATUSES if s != BulkStatus.SENDING)
# message/stats keys (uppercase discrete statuses, section 8.3) that mean a recipient was not reached.
UNDELIVERED: tuple[str, ...] = tuple(
    s.upper() for s in (DiscreteStatus.DROPPED, DiscreteStatus.BOUNCE, DiscreteStatus.ERROR)
)
DEFAULT_TIMEOUT = 120.0
# The wait between polls when none is given (a test swaps it).
SLEEP: Callable[[float], None] = time.sleep


def session_label(slug: str, now: datetime | None = None) -> str:
    """The session label of a test send: prefix, template slug and UTC time."""
    moment = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{SESSION_PREFIX}-{slug}-{moment}"


def find_published(client: MessagingClient, app_guid: str, name: str) -> dict[str, Any]:
    """The remote template of a name in app_guid (a managed one first)."""
    found = find_live(client, app_guid, name)
    if not found:
        raise UsageError(f"template '{name}' is not published in appGuid {app_guid}; run `kmsg-author publish` first")
    return found[0]


@dataclass
class Delivery:
    """What became of a test send."""

    template_id: str
    name: str
    sample: str
    session: str
    recipients: list[str]
    bulk_id: str | None = None
    status: str = BulkStatus.SENDING.value
    stats: dict[str, Any] = field(default_factory=dict)
    polls: int = 0
    waited: float = 0.0
    timed_out: bool = False
    error: str = ""

    @property
    def ok(self) -> bool:
        """Completed, and no recipient dropped, bounced or failed."""
        bad = sum(int(v) for k, v in self.stats.items() if k.upper() in UNDELIVERED and isinstance(v, int))
        return self.status == BulkStatus.COMPLETED and not bad and not self.timed_out

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "templateId": self.template_id,
            "name": self.name,
            "sample": self.sample,
            "session": self.session,
            "recipients": self.recipients,
            "bulkId": self.bulk_id,
            "status": self.status,
            "stats": self.stats,
            "polls": self.polls,
            "timedOut": self.timed_out,
            "error": self.error,
            "ok": self.ok,
        }


def _bulk(client: MessagingClient, bulk_id: str | None, message_id: str | None) -> dict[str, Any] | None:
    found = client.list_messages(bulkIdIn=[bulk_id]) if bulk_id else client.list_messages(idIn=[message_id])
    return found[0] if found and isinstance(found[0], dict) else None


def send_test(
    client: MessagingClient,
    config: Config,
    *,
    app_guid: str,
    slug: str,
    to: Sequence[str],
    sample: str | None = None,
    session: str | None = None,
    sleep: Callable[[float], None] | None = None,
    intervals: Sequence[float] = POLL_INTERVALS,
    timeout: float = DEFAULT_TIMEOUT,
    on_poll: Callable[[Delivery], None] | None = None,
    on_wait: Callable[[float], None] | None = None,
) -> Delivery:
    """Send the published template of slug to the user ids in `to` and wait for its delivery status.

    The status is checked right after the send, then after each of `intervals` (the last repeating);
    on_wait is told each wait before it starts, on_poll each status read.
    """
    from kmsg_authoring.source.targets import resolve_slugs
    from kmsg_authoring.compile import compile_template
    from kmsg_authoring.render.samples import load_sample

    if not to:
        raise UsageError("name at least one recipient user id (--to)")
    wait = sleep or SLEEP
    (slug,) = resolve_slugs(config, [slug])
    compiled = compile_template(config, slug)
    chosen = load_sample(config, compiled, sample)
    if chosen.locale and compiled.locale not in (None, chosen.locale):
        # A sample that sets a locale is shown (and sent) in that locale's build of the template.
        compiled = compile_template(config, slug, locale=chosen.locale)
    name = str(compiled.payload["name"])
    remote = find_published(client, app_guid, name)
    delivery = Delivery(
        template_id=str(remote["id"]),
        name=name,
        sample=chosen.name,
        session=session or session_label(slug),
        recipients=list(to),
    )
    answer = client.send_message(
        {
            "receiverType": "user",
            "userIds": list(to),
            "appGuid": app_guid,
            "templateId": delivery.template_id,
            "type": "email",
            "msgParams": chosen.msg_params,
            "session": delivery.session,
        }
    )
    delivery.bulk_id = answer.get("bulkId")
    delivery.status = str(answer.get("status") or BulkStatus.SENDING.value)
    message_id = answer.get("id")
    # The first check goes out at once (a message is often delivered by then); the intervals come after.
    step = -1
    while delivery.status not in FINAL_STATUSES:
        delay = intervals[min(step, len(intervals) - 1)] if step >= 0 else 0.0
        if delivery.waited + delay > timeout:
            delivery.timed_out = True
            break
        if delay:
            if on_wait is not None:
                on_wait(delay)
            wait(delay)
        delivery.waited += delay
        step += 1
        bulk = _bulk(client, delivery.bulk_id, message_id)
        delivery.polls += 1
        if bulk is not None:
            delivery.status = str(bulk.get("status") or delivery.status)
            if bulk.get("errorDescription") or bulk.get("errorEnum"):
                delivery.error = str(bulk.get("errorDescription") or bulk.get("errorEnum"))
        if on_poll is not None:
            on_poll(delivery)
    if delivery.bulk_id:
        delivery.stats = client.message_stats(bulk_id=delivery.bulk_id)
    else:
        delivery.stats = client.message_stats(session=delivery.session)
    return delivery
