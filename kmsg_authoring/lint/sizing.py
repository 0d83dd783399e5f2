"""The body's size as Gmail measures it, with every token at a realistic worst-case length."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kmsg_authoring.lint.context import Context

# Worst-case length in bytes of a token's value once the API replaces it: a MagicLink or a
# JwtQrCode URL carries a signed token of several hundred characters.
WORST_CASE_BYTES: dict[str | None, int] = {
    "User": 254,  # the longest valid email address
    "String": 500,
    "MagicLink": 800,
    "Dynamic": 800,
    "UnsubscribeUri": 400,
    "JwtQrCode": 1200,
    None: 500,
}


def expanded_bytes(ctx: Context, upto: int | None = None) -> int:
    """UTF-8 size of the body (or of its first `upto` characters) with tokens at worst-case length."""
    body = ctx.compiled.body
    end = len(body) if upto is None else upto
    size = len(body[:end].encode("utf-8"))
    for t in ctx.body_tokens:
        if t.offset < end:
            size += WORST_CASE_BYTES.get(ctx.declared.get(t.name), 500) - len(t.text.encode("utf-8"))
    return size


def kib(size: int) -> str:
    """A size in KB (1024 bytes), one decimal."""
    return f"{size / 1024:.1f} KB"
