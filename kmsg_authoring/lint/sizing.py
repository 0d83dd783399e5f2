"""The body's size as Gmail measures it, with every token at a realistic worst-case length."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kmsg_authoring.model import TOKENS, TokenType

if TYPE_CHECKING:
    from kmsg_authoring.lint.context import Context

# Worst-case length in bytes of a token's value once the API replaces it (model.TOKENS); a reference
# to an undeclared or unknown token counts as much as text.
UNKNOWN_TOKEN_BYTES = TOKENS[TokenType.STRING].worst_case_bytes
WORST_CASE_BYTES: dict[str | None, int] = {t.value: f.worst_case_bytes for t, f in TOKENS.items()}


def expanded_bytes(ctx: Context, upto: int | None = None) -> int:
    """UTF-8 size of the body (or of its first `upto` characters) with tokens at worst-case length."""
    body = ctx.compiled.body
    end = len(body) if upto is None else upto
    size = len(body[:end].encode("utf-8"))
    for t in ctx.body_tokens:
        if t.offset < end:
            worst = WORST_CASE_BYTES.get(ctx.declared.get(t.name), UNKNOWN_TOKEN_BYTES)
            size += worst - len(t.text.encode("utf-8"))
    return size


def kib(size: int) -> str:
    """A size in KB (1024 bytes), one decimal."""
    return f"{size / 1024:.1f} KB"
