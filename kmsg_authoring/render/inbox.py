"""What an inbox list shows for one recipient's message: sender, subject and the preview line, per client.

The widths are approximations of the clients' list views at their common sizes (Gmail on a desktop
browser about 1280 px wide: one line for subject and preview together; iOS Mail on a 390 pt wide
iPhone: the subject on one line, the preview on two); the preview shows where the line is cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kmsg_authoring.compile.extract import parse_html
from kmsg_authoring.compile.preheader import inbox_preview

if TYPE_CHECKING:
    from kmsg_authoring.render.renderer import Rendering

GMAIL_LINE_CHARS = 120  # subject, " - " and preview together
IOS_SUBJECT_CHARS = 38
IOS_PREVIEW_CHARS = 90  # two lines


@dataclass(frozen=True)
class InboxLine:
    """One message as an inbox list shows it."""

    from_name: str
    subject: str
    preview: str  # the full preview text (preheader, then the body unless the preheader is padded)
    explicit: bool  # the preview comes from a preheader

    @property
    def gmail(self) -> tuple[str, str]:
        """(subject, preview) as Gmail's desktop list cuts them."""
        subject = _cut(self.subject, GMAIL_LINE_CHARS)
        room = GMAIL_LINE_CHARS - len(subject) - 3
        return subject, _cut(self.preview, room) if room > 0 else ""

    @property
    def ios(self) -> tuple[str, str]:
        """(subject, preview) as iOS Mail's list cuts them."""
        return _cut(self.subject, IOS_SUBJECT_CHARS), _cut(self.preview, IOS_PREVIEW_CHARS)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "\u2026"


def inbox_line(rendering: Rendering) -> InboxLine:
    """The inbox line of a rendered message."""
    preview = inbox_preview(parse_html(rendering.body))
    return InboxLine(rendering.from_name or rendering.from_email, rendering.subject, preview.text, preview.explicit)
