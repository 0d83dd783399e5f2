"""[environments.<name>] of kmsg.toml: the Messaging API environments templates are published to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kmsg_authoring.errors import ConfigError, Location
from kmsg_authoring.model import REGIONS, region_url
from kmsg_authoring.source.config_schema import Key, Section, Table, toml_location


@dataclass(frozen=True)
class Environment:
    """A Messaging API environment templates are published to."""

    name: str
    url: str
    app_guid: str
    ks_env: str = "KALTURA_KS"
    # Plain http:// to a host that is not loopback sends the KS in clear text: refused unless set.
    allow_insecure: bool = False


ENVIRONMENT = Section(
    "environments.<name>",
    "A Messaging API environment templates are published to (`plan --env NAME`, `publish --env NAME`).",
    (
        Key("region", "string", "The Kaltura region whose Messaging API is used.", "nvp1", REGIONS),
        Key(
            "url", "string", "The API's http(s) URL instead of a region's (the sandbox's).", default_text="the region's"
        ),
        Key(
            "app_guid",
            "string",
            "The App Registry GUID the templates belong to.",
            default_text="required",
            example="...",
        ),
        Key("ks_env", "string", "The environment variable that holds an admin KS.", "KALTURA_KS"),
        Key("allow_insecure", "boolean", "Allow plain http:// to a host not loopback (the KS in clear text).", False),
    ),
)


def read_section(section: Section, raw: Mapping[str, Any], text: str, *path: str) -> Table:
    """A table of kmsg.toml checked against its section's declaration, unknown keys located."""
    return section.read(raw, f"[{'.'.join(path)}]", lambda key: toml_location(text, *path, key))


def environment(name: str, raw: Any, text: str) -> Environment:
    def where(key: str | None = None) -> Location:
        return toml_location(text, "environments", name, *((key,) if key else ()))

    if not isinstance(raw, dict):
        raise ConfigError(f"[environments.{name}] must be a table", where())
    raw = read_section(ENVIRONMENT, raw, text, "environments", name)
    if "url" in raw:
        url = raw["url"]
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ConfigError(f"[environments.{name}] url must be an http(s) URL", where("url"))
    else:
        region = raw.value("region")
        if region not in REGIONS:
            raise ConfigError(
                f"[environments.{name}] unknown region '{region}' (one of {', '.join(REGIONS)})", where("region")
            )
        url = region_url(region)
    app_guid = raw.value("app_guid")
    if not isinstance(app_guid, str) or not app_guid:
        raise ConfigError(f"[environments.{name}] needs app_guid", where("app_guid"))
    ks_env = raw.value("ks_env")
    if not isinstance(ks_env, str) or not ks_env:
        raise ConfigError(f"[environments.{name}] ks_env must name an environment variable", where("ks_env"))
    allow_insecure = raw.value("allow_insecure")
    if not isinstance(allow_insecure, bool):
        raise ConfigError(f"[environments.{name}] allow_insecure must be true or false", where("allow_insecure"))
    return Environment(name=name, url=url.rstrip("/"), app_guid=app_guid, ks_env=ks_env, allow_insecure=allow_insecure)
