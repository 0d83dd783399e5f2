"""What the client refuses before it sends anything: a KS that is not one, clear text to a remote host."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from kmsg_authoring.errors import ConfigError

_LOOPBACK_NAMES = ("localhost",)


def check_ks(ks: str, where: str = "the KS") -> str:
    """ks itself, or a ConfigError (that never quotes it) when it cannot go into an HTTP header."""
    if not ks:
        raise ConfigError(f"{where} is empty")
    if not all("!" <= ch <= "~" for ch in ks):
        raise ConfigError(
            f"{where} holds spaces, line breaks or non-ASCII characters, which a KS never has; check how it was copied"
        )
    return ks


def is_loopback(host: str | None) -> bool:
    """Whether host names this machine without leaving it: localhost or a loopback IP literal."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_insecure: bool = False, where: str = "the environment's table of kmsg.toml") -> str:
    """url itself, or a ConfigError when the KS would travel in clear text to another machine."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"url '{url}' is not an http(s) URL")
    if parts.scheme == "http" and not allow_insecure and not is_loopback(parts.hostname):
        raise ConfigError(
            f"refusing to send the KS in clear text to {url}: http:// is allowed only for a loopback host "
            f"(localhost, 127.0.0.1, ::1); use https://, or set allow_insecure = true in {where} "
            "if this network is trusted"
        )
    return url
