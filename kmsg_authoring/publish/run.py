"""A project and an environment's name in, a plan, a publish run, a pull or a test delivery out.

The entry points of the commands that talk to an environment: each opens the environment's client,
does its work and closes the client. `log` receives one line per request (the KS shown as <hidden>).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kmsg_authoring.errors import UsageError

if TYPE_CHECKING:
    from kmsg_authoring.publish.apply import Outcome, PublishResult
    from kmsg_authoring.publish.ids import TemplateId
    from kmsg_authoring.publish.actions import Plan
    from kmsg_authoring.publish.pull import PullResult
    from kmsg_authoring.publish.sendtest import Delivery
    from kmsg_authoring.source.config import Config, Environment

DEFAULT_CONCURRENCY = 4
Log = Callable[[str], None]


@dataclass
class PublishRun:
    """A plan for an environment and, when it was applied, what happened."""

    env: Environment
    plan: Plan
    result: PublishResult | None = None
    requests: dict[str, int] = field(default_factory=dict)  # requests sent, by endpoint


def _log_counts(counts: dict[str, int], log: Log | None) -> None:
    if log is not None:
        log("requests: " + (", ".join(f"{e} {n}" for e, n in sorted(counts.items())) or "none"))


def publish_to(
    config: Config,
    env_name: str,
    *,
    apply: bool,
    only: Sequence[str] = (),
    prune: bool = False,
    force: bool = False,
    allow_breaking: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    log: Log | None = None,
    on_plan: Callable[[Plan], None] | None = None,
    on_done: Callable[[Outcome], None] | None = None,
) -> PublishRun:
    """Build, lint and plan against an environment (only: template names or slugs); with apply, publish.

    on_plan is told the plan before anything is sent, on_done each outcome as it comes.
    """
    from kmsg_authoring.api import open_client
    from kmsg_authoring.publish.apply import apply_plan
    from kmsg_authoring.publish.plan import local_templates, make_plan
    from kmsg_authoring.publish.select import select_slugs

    if concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    env, client = open_client(config, env_name, log=log, max_connections=concurrency)
    with client:
        templates = local_templates(config, select_slugs(config, only)) if only else local_templates(config)
        plan = make_plan(
            client,
            templates,
            environment=env.name,
            app_guid=env.app_guid,
            prune=prune,
            force=force,
            only={t.name for t in templates} if only else None,
            allow_breaking=allow_breaking,
        )
        run = PublishRun(env, plan)
        if on_plan is not None:
            on_plan(plan)
        if apply:
            run.result = apply_plan(client, plan, concurrency=concurrency, on_done=on_done)
        run.requests = dict(client.counts)
        _log_counts(run.requests, log)
    return run


def pull_from(
    config: Config, env_name: str, *, names: Sequence[str] = (), force: bool = False, log: Log | None = None
) -> tuple[Environment, PullResult]:
    """Pull an environment's templates (or the named ones) into the project; the environment and what was written."""
    from kmsg_authoring.api import open_client
    from kmsg_authoring.publish.pull import pull

    env, client = open_client(config, env_name, log=log)
    with client:
        return env, pull(
            client, config, app_guid=env.app_guid, names=names, force=force, origin=f"environment {env.name}"
        )


def send_test_to(
    config: Config,
    env_name: str,
    *,
    slug: str,
    to: Sequence[str],
    sample: str | None = None,
    session: str | None = None,
    timeout: float | None = None,
    log: Log | None = None,
    on_poll: Callable[[Delivery], None] | None = None,
    on_wait: Callable[[float], None] | None = None,
) -> Delivery:
    """Send a published template to test recipients through an environment and follow its delivery."""
    from kmsg_authoring.api import open_client
    from kmsg_authoring.publish.sendtest import DEFAULT_TIMEOUT, send_test

    env, client = open_client(config, env_name, log=log)
    with client:
        return send_test(
            client,
            config,
            app_guid=env.app_guid,
            slug=slug,
            to=to,
            sample=sample,
            session=session,
            timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
            on_poll=on_poll,
            on_wait=on_wait,
        )


def ids_from(config: Config, env_name: str, *, log: Log | None = None) -> list[TemplateId]:
    """Every template of the project, per locale, with the id of its remote template in an environment."""
    from kmsg_authoring.api import open_client
    from kmsg_authoring.publish.ids import template_ids

    env, client = open_client(config, env_name, log=log)
    with client:
        return template_ids(client, config, app_guid=env.app_guid)
