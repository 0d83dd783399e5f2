"""Token references against msgParamsMap: declared, used, typed, with valid User fields."""

from __future__ import annotations

from collections.abc import Iterator

from kmsg_authoring.lint.context import Context, Finding, did_you_mean
from kmsg_authoring.lint.registry import GUARD, rule
from kmsg_authoring.model import NAME_RE, TOKEN_TYPES, USER_FIELDS, token_facts, types_where
from kmsg_authoring.model import TO_ATTRIBUTE_PATH

# Token types referenced with a field: `{recipient.firstName}`.
FIELDED_TYPES = types_where(lambda f: f.has_fields)

# toAttributePath has its own rule (KM401), so the reference rules skip it.
_TO = TO_ATTRIBUTE_PATH


@rule("KM101", "undeclared-token", "error")
def undeclared_token(ctx: Context) -> Iterator[Finding]:
    """A token is referenced but not declared in msgParamsMap.

    What it does:
        Finds every `{name}` or `{name.field}` reference in the subject, fromName and body whose
        name is not a key of msgParamsMap.
    Why:
        The Messaging API only replaces declared tokens: an undeclared one reaches the recipient
        as the literal text `{eventNmae}`, or the send is rejected.
    Bad:
        msgParamsMap: {eventName: {type: String}}
        <h1>Welcome to {eventNmae}</h1>
    Good:
        msgParamsMap: {eventName: {type: String}}
        <h1>Welcome to {eventName}</h1>
    """
    for t in ctx.compiled.tokens:
        if t.where != _TO and t.name not in ctx.declared:
            yield Finding(
                f"token '{t.name}' is not declared in msgParamsMap{did_you_mean(t.name, ctx.declared)}",
                t.location,
            )


@rule("KM102", "unused-token", "warning")
def unused_token(ctx: Context) -> Iterator[Finding]:
    """A token is declared in msgParamsMap but never referenced.

    What it does:
        Finds msgParamsMap entries that no subject, fromName, toAttributePath or body reference uses.
    Why:
        Senders must still supply a value for it at send time, and it is often the sign of a
        misspelt reference elsewhere.
    Bad:
        msgParamsMap: {recipient: {type: User}, eventDate: {type: String}}   # eventDate unused
    Good:
        msgParamsMap: {recipient: {type: User}}
    """
    used = {t.name for t in ctx.compiled.tokens}
    for name in ctx.declared:
        if name not in used:
            yield Finding(f"token '{name}' is declared but never used", ctx.at_field("msgParamsMap", name))


@rule("KM103", "unknown-user-field", "error")
def unknown_user_field(ctx: Context) -> Iterator[Finding]:
    """A User token is referenced with a field that User records do not have.

    What it does:
        Checks the field of every `{user.field}` reference of a User token against the User fields
        of the API (id, firstName, lastName, email, ...), suggesting the closest one.
    Why:
        An unknown field resolves to nothing, so the recipient reads "Hi ," or the raw reference.
        Field names are case-sensitive: `firstname` is not `firstName`.
    Bad:
        <p>Hi {recipient.firstname},</p>
    Good:
        <p>Hi {recipient.firstName},</p>
    """
    users = ctx.of_type(*FIELDED_TYPES)
    for t in ctx.compiled.tokens:
        if t.where != _TO and t.name in users and t.field is not None and t.field not in USER_FIELDS:
            yield Finding(
                f"unknown User field '{t.field}' in '{t.text}'{did_you_mean(t.field, USER_FIELDS)}",
                t.location,
            )


@rule("KM104", "field-on-non-user-token", "error")
def field_on_non_user_token(ctx: Context) -> Iterator[Finding]:
    """A field is referenced on a token that is not a User token.

    What it does:
        Finds `{name.field}` references whose token is declared with a type other than User.
    Why:
        Only User tokens have fields; `{eventName.title}` is not replaced by the API and reaches
        the recipient as written.
    Bad:
        msgParamsMap: {eventName: {type: String}}
        <h1>{eventName.title}</h1>
    Good:
        <h1>{eventName}</h1>
    """
    for t in ctx.compiled.tokens:
        kind = ctx.declared.get(t.name)
        facts = token_facts(kind)
        if t.where != _TO and t.field is not None and facts is not None and not facts.has_fields:
            yield Finding(f"'{t.raw}': {kind} token '{t.name}' has no fields; write '{{{t.name}}}'", t.location)


@rule("KM105", "user-token-without-field", "error")
def user_token_without_field(ctx: Context) -> Iterator[Finding]:
    """A User token is referenced without a field.

    What it does:
        Finds `{recipient}` references of User tokens, which need a field: `{recipient.firstName}`.
    Why:
        A User token stands for a whole user record; without a field the API has no text to put
        in its place.
    Bad:
        <p>Hi {recipient},</p>
    Good:
        <p>Hi {recipient.firstName},</p>
    """
    users = ctx.of_type(*FIELDED_TYPES)
    for t in ctx.compiled.tokens:
        if t.where != _TO and t.name in users and t.field is None:
            yield Finding(f"User token '{t.name}' needs a field, e.g. '{{{t.name}.firstName}}'", t.location)


@rule("KM106", "invalid-token-declaration", "error", guard=GUARD)
def invalid_token_declaration(ctx: Context) -> Iterator[Finding]:
    """A msgParamsMap entry has an unknown token type or a name that cannot be referenced.

    What it does:
        Checks each msgParamsMap entry: its type must be one of User, String, MagicLink, Dynamic,
        UnsubscribeUri or JwtQrCode (case-sensitive), and its name must be letters, digits and
        underscores, not starting with a digit.
    Why:
        The API rejects a template with an unknown token type, and a name such as `event-name`
        can never be referenced: `{event-name}` is not a token.
    Bad:
        msgParamsMap: {recipient: {type: user}, event-name: {type: String}}
    Good:
        msgParamsMap: {recipient: {type: User}, eventName: {type: String}}
    """
    for name, kind in ctx.declared.items():
        if not NAME_RE.match(name):
            yield Finding(
                f"token name '{name}' cannot be referenced: use letters, digits and _ (not starting with a digit)",
                ctx.at_field("msgParamsMap", name),
            )
        if kind not in TOKEN_TYPES:
            shown = "no type" if kind is None else f"unknown token type '{kind}'"
            yield Finding(
                f"token '{name}': {shown}{did_you_mean(kind, TOKEN_TYPES) if kind else ''} "
                f"(one of {', '.join(TOKEN_TYPES)})",
                ctx.at_field("msgParamsMap", name, "type"),
            )
