"""template.yaml metadata: required fields, status, subject."""

from __future__ import annotations

from collections.abc import Iterator

from kmsg_authoring.compile.types import MARK_RE
from kmsg_authoring.lint.context import Context, Finding, did_you_mean
from kmsg_authoring.lint.registry import GUARD, Option, rule
from kmsg_authoring.model import REQUIRED_YAML_FIELDS, TEMPLATE_STATUSES


@rule("KM405", "invalid-status", "error", guard=GUARD)
def invalid_status(ctx: Context) -> Iterator[Finding]:
    """`status` is not one of enabled, disabled or deleted.

    What it does:
        Checks the status field against the values the API accepts (case-sensitive).
    Why:
        The API rejects any other value, so the template cannot be published.
    Bad:
        status: active
    Good:
        status: enabled
    """
    status = ctx.payload.get("status")
    if status is not None and status not in TEMPLATE_STATUSES:
        yield Finding(
            f"status '{status}' is not one of {', '.join(TEMPLATE_STATUSES)}"
            f"{did_you_mean(str(status), TEMPLATE_STATUSES)}",
            ctx.at_field("status"),
        )


@rule("KM406", "empty-subject", "error", guard=GUARD)
def empty_subject(ctx: Context) -> Iterator[Finding]:
    """The subject is empty or only whitespace.

    What it does:
        Finds a subject field that is present but has no visible text.
    Why:
        Mail without a subject is flagged by spam filters, shown as "(no subject)", and the API
        requires a subject.
    Bad:
        subject: " "
    Good:
        subject: "You're invited: {eventName}"
    """
    subject = ctx.payload.get("subject")
    if isinstance(subject, str) and not subject.strip():
        yield Finding("subject is empty", ctx.at_field("subject"))


@rule(
    "KM407",
    "subject-too-long",
    "warning",
    options={
        "max-length": Option("int", 78, "longest subject, in characters as written, before a warning"),
    },
)
def subject_too_long(ctx: Context) -> Iterator[Finding]:
    """The subject is longer than mail clients show.

    What it does:
        Compares the subject's length, as written (token references included), with the
        `max-length` option (78 characters by default, the line length of RFC 5322).
    Why:
        Inbox lists cut subjects at 40 to 80 characters depending on the client; what is past
        the cut is never read, and long subjects look like spam.
    Bad:
        subject: "Reminder: the Annual Customer Conference 2025 starts tomorrow, here is everything you need"
    Good:
        subject: "Tomorrow: {eventName} - your joining link"
    """
    subject = ctx.payload.get("subject")
    limit = int(ctx.options.get("max-length", 78))
    if isinstance(subject, str) and len(subject) > limit:
        yield Finding(f"subject too long ({len(subject)} > {limit} characters)", ctx.at_field("subject"))


@rule("KM408", "missing-required-field", "error", guard=GUARD)
def missing_required_field(ctx: Context) -> Iterator[Finding]:
    """A field the API requires is missing or empty.

    What it does:
        Checks that template.yaml has name, subject, toAttributePath and msgParamsMap, and that
        the body is not empty (appGuid comes from the environment when publishing).
    Why:
        email-template/add rejects a template without them.
    Bad:
        subject: Hello
        msgParamsMap: {}
    Good:
        name: Event invitation
        subject: Hello {recipient.firstName}
        toAttributePath: "{recipient.email}"
        msgParamsMap: {recipient: {type: User}}
    """
    for field in REQUIRED_YAML_FIELDS:
        value = ctx.payload.get(field)
        if field == "subject" and isinstance(value, str):
            continue  # an empty subject is KM406's
        if value is None or value == "" or value == {}:
            state = "missing" if field not in ctx.payload else "empty"
            yield Finding(f"required field '{field}' is {state}", ctx.at_field(field))
    # The source as rendered, not the inlined body: the inliner wraps even nothing in <html><body>.
    if not ctx.compiled.body.strip() or not MARK_RE.sub("", ctx.compiled.rendered).strip():
        yield Finding("the body is empty", ctx.compiled.body_location)
