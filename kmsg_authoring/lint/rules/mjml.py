"""What MJML accepts but does not put in the email (bodies written in MJML)."""

from __future__ import annotations

from collections.abc import Iterator

from kmsg_authoring.compile.types import MJML_DROPPED_TEXT
from kmsg_authoring.lint.context import Context, Finding
from kmsg_authoring.lint.registry import rule


@rule(MJML_DROPPED_TEXT, "mjml-dropped-text", "warning")
def mjml_dropped_text(ctx: Context) -> Iterator[Finding]:
    """Text standing directly in an MJML layout component, which MJML drops from the email.

    What it does:
        Reports text written directly inside <mj-section>, <mj-column>, <mj-body>, <mj-wrapper>,
        <mj-hero> or another component whose children are components, not content. MJML's strict
        validator accepts it and leaves it out of the HTML; the build does the same and says where.
    Why:
        The text is not in the email: often a stray character left after an edit, sometimes a
        sentence that was meant to be read.
    Bad:
        <mj-section>
          <mj-column><mj-text>Left</mj-text></mj-column> |
          <mj-column><mj-text>Right</mj-text></mj-column>
        </mj-section>
    Good:
        <mj-section>
          <mj-column><mj-text>Left</mj-text></mj-column>
          <mj-column><mj-text>Right</mj-text></mj-column>
        </mj-section>
    """
    return ctx.noted(MJML_DROPPED_TEXT)
