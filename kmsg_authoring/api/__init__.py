"""API requests in, answers out: the Messaging API client (retries, paging, redaction), opened per environment.

Importing this package imports httpx: command modules import it inside `run` only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from kmsg_authoring.api.client import MessagingClient
from kmsg_authoring.api.failures import AmbiguousWriteError
from kmsg_authoring.api.guards import check_ks, check_url
from kmsg_authoring.errors import HIDDEN, ConfigError
from kmsg_authoring.source.config import Config, Environment

__all__ = ["HIDDEN", "AmbiguousWriteError", "MessagingClient", "check_ks", "check_url", "open_client", "read_ks"]


def read_ks(env: Environment, environ: Mapping[str, str] | None = None) -> str:
    """The KS of an environment, read from the variable its ks_env names."""
    value = (os.environ if environ is None else environ).get(env.ks_env, "").strip()
    if not value:
        raise ConfigError(
            f"environment variable {env.ks_env} is not set; it must hold an ADMIN KS for "
            f"environment '{env.name}' (ks_env in [environments.{env.name}] of kmsg.toml names it)"
        )
    return check_ks(value, f"environment variable {env.ks_env}")


def open_client(
    config: Config, env_name: str, *, environ: Mapping[str, str] | None = None, **options: Any
) -> tuple[Environment, MessagingClient]:
    """The named environment and a client for it; options go to MessagingClient (transport, sleep...).

    A plain http:// url to a host that is not loopback is refused (ConfigError) unless the environment
    sets allow_insecure = true, before the KS is read.
    """
    env = config.environment(env_name)
    check_url(env.url, allow_insecure=env.allow_insecure, where=f"[environments.{env.name}] of kmsg.toml")
    return env, MessagingClient(env.url, read_ks(env, environ), allow_insecure=env.allow_insecure, **options)
