"""The sandbox's KS: made for tests and local development, read back for the partner id.

A real Kaltura KS is opaque to its clients: base64 of `v2|<partnerId>|<encrypted fields>` (version 2)
or of `<signature>|<partnerId>;<partnerId>;<expiry>;<type>;...` (version 1). The sandbox makes
version 2 tokens whose encrypted part is a random nonce, and accepts either version, so a KS from a
real development account also works. It reads only the partner id (and, in version 1, checks that
the KS is an ADMIN KS, type 2); nothing is verified cryptographically.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets

ADMIN_KS_TYPE = 2
# Partner ids are stored as SQLite integers; a longer one is not a partner id (and int() of thousands of
# digits is refused by Python itself).
MAX_PARTNER_ID = 2**63 - 1
_V1_FIELDS = re.compile(rb"\A[0-9a-fA-F]+\|(\d+);\d+;\d*;(\d+);")


class KsError(ValueError):
    """A KS the sandbox cannot read. The message never contains the KS."""


def make_ks(partner_id: int) -> str:
    """A version 2 KS for partner_id that the sandbox accepts."""
    if isinstance(partner_id, bool) or not isinstance(partner_id, int) or partner_id < 0:
        raise ValueError(f"partner id must be a non-negative integer (got {partner_id!r})")
    raw = f"v2|{partner_id}|sandbox.{secrets.token_hex(16)}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(ks: str) -> bytes:
    text = ks.strip()
    if not text or not re.fullmatch(r"[A-Za-z0-9_\-+/]+={0,2}", text):
        raise KsError("the KS is not base64")
    text = text.rstrip("=").replace("+", "-").replace("/", "_")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise KsError("the KS is not base64") from None


def _partner(digits: bytes) -> int:
    if len(digits) > len(str(MAX_PARTNER_ID)) or int(digits) > MAX_PARTNER_ID:
        raise KsError(f"the KS names a partner id of {len(digits)} digits, beyond any partner id")
    return int(digits)


def partner_from_ks(ks: str) -> int:
    """The partner id a KS belongs to; KsError when it is not a KS."""
    raw = _decode(ks)
    if raw.startswith(b"v2|"):
        parts = raw.split(b"|", 2)
        if len(parts) == 3 and parts[1].isdigit() and parts[2]:
            return _partner(parts[1])
        raise KsError("the KS is not a version 2 KS (v2|<partnerId>|...)")
    m = _V1_FIELDS.match(raw)
    if m:
        if len(m.group(2)) > 3 or int(m.group(2)) != ADMIN_KS_TYPE:
            raise KsError(f"an ADMIN KS (type={ADMIN_KS_TYPE}) is required")
        return _partner(m.group(1))
    raise KsError("the KS is not a Kaltura session (neither version 1 nor version 2)")
