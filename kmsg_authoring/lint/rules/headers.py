"""Tokens where the Messaging API does not resolve them: custom headers."""

from __future__ import annotations

from collections.abc import Iterator

from kmsg_authoring.lint.context import Context, Finding
from kmsg_authoring.lint.registry import rule
from kmsg_authoring.model import TOKEN_TEXT_FIELDS, find_tokens


@rule("KM807", "token-in-custom-header", "error")
def token_in_custom_header(ctx: Context) -> Iterator[Finding]:
    """A custom header holds a token reference, which the API sends as written.

    What it does:
        Finds token references in the names and values of customHeaders. The Messaging API
        resolves tokens in the subject, the body and fromName only (a token in from, cc or bcc is
        KM403's).
    Why:
        The header goes out with the literal `{token}` text: a List-Unsubscribe header built from
        an UnsubscribeUri token gives every recipient the same broken address, and mailbox
        providers that act on it (Gmail's one-click unsubscribe) fail or distrust the sender.
    Bad:
        customHeaders:
          List-Unsubscribe: "<{unsubLink}>"
    Good:
        customHeaders:
          List-Id: "<events.example.com>"
        # and the unsubscribe link in the body: <a href="{unsubLink}">Unsubscribe</a>
    """
    headers = ctx.payload.get("customHeaders")
    if not isinstance(headers, dict):
        return
    resolved = ", ".join(("body", *TOKEN_TEXT_FIELDS[:2]))
    for name, value in headers.items():
        for part, text in (("name", str(name)), ("value", str(value))):
            refs = list(find_tokens(text))
            if refs:
                yield Finding(
                    f"custom header '{name}' has {refs[0].raw} in its {part}: the API resolves tokens only in "
                    f"{resolved}, so it is sent as written",
                    ctx.at_field("customHeaders", name),
                )
