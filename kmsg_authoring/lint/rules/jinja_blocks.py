"""What Jinja accepts but does not put in the email (bodies, layouts and partials that extend a layout)."""

from __future__ import annotations

from collections.abc import Iterator

from kmsg_authoring.compile.types import JINJA_OUTSIDE_BLOCKS
from kmsg_authoring.lint.context import Context, Finding
from kmsg_authoring.lint.registry import rule


@rule(JINJA_OUTSIDE_BLOCKS, "jinja-outside-blocks", "warning")
def jinja_outside_blocks(ctx: Context) -> Iterator[Finding]:
    """Text or output after `{% extends %}` standing outside every `{% block %}`, which Jinja never renders.

    What it does:
        Reports, in a template that extends a layout, each piece of text, `{{ expression }}`, or
        `{% if %}` / `{% for %}` printing something, that stands outside every block. Jinja renders
        only the layout, with the template's blocks put in their places, and drops the rest without
        a word; the build does the same and says where.
    Why:
        The text is not in the email: most often a paragraph added after the last `{% endblock %}`.
    Bad:
        {% extends "_layouts/base.html" %}
        {% block content %}<p>Hello {recipient.firstName}</p>{% endblock %}
        <p>See you at {eventName}.</p>
    Good:
        {% extends "_layouts/base.html" %}
        {% block content %}<p>Hello {recipient.firstName}</p>
        <p>See you at {eventName}.</p>{% endblock %}
    """
    return ctx.noted(JINJA_OUTSIDE_BLOCKS)
