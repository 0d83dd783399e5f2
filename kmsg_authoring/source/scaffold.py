"""`kmsg-author new`: a template folder that builds and lints clean as it is."""

from __future__ import annotations

import re

from kmsg_authoring.errors import UsageError
from kmsg_authoring.source.config import Config
from kmsg_authoring.source.files import write_atomic

SLUG_RE = re.compile(r"\A[a-z0-9][a-z0-9-]*\Z")
LAYOUT = "_layouts/base.html"

_LAYOUT_TEXT = """\
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{% block title %}{% endblock %}</title>
  <style>
    body { margin: 0; padding: 0; background-color: #f4f5f7; }
    .content { padding: 32px; font-family: Helvetica, Arial, sans-serif; font-size: 16px; line-height: 24px; color: #1f2933; background-color: #ffffff; }
    @media screen and (max-width: 600px) { .content { padding: 20px !important; } }
  </style>
</head>
<body>
  <table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">
    <tr>
      <td align="center">
        <table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0">
          <tr><td class="content">
{% block content %}{% endblock %}
          </td></tr>
        </table>
      </td>
    </tr>
  </table>
</body>
</html>
"""

_YAML = """\
name: {title}
description: {title} email.
subject: "{{eventName}}: a message for {{recipient.firstName}}"
toAttributePath: "{{recipient.email}}"
msgParamsMap:
  recipient: {{type: User}}
  eventName: {{type: String}}
"""

_BODY = """\
{{% extends "{layout}" %}}
{{% block title %}}{{eventName}}{{% endblock %}}
{{% block content %}}
<h1>Hello {{recipient.firstName}}</h1>
<p>This is about {{eventName}}.</p>
{{% endblock %}}
"""

_SAMPLE = """\
users:
  - {id: jane@example.com, firstName: Jane, lastName: Doe, email: jane@example.com}
msgParams:
  recipient: {type: User, value: Message.userId}
  eventName: {type: String, value: Annual Conference 2026}
"""


def new_template(config: Config, slug: str) -> list[str]:
    """Create templates_src/<slug>/ (and the shared layout if the project has none); the files written."""
    if not SLUG_RE.match(slug):
        raise UsageError(f"'{slug}' is not a valid slug: use lowercase letters, digits and '-'")
    folder = config.src_dir / slug
    if folder.exists():
        raise UsageError(f"{config.rel(folder)} already exists")
    written = []
    layout = config.src_dir / LAYOUT
    if not layout.exists():
        write_atomic(layout, _LAYOUT_TEXT)
        written.append(config.rel(layout))
    title = slug.replace("-", " ").capitalize()
    files = {
        folder / "template.yaml": _YAML.format(title=title),
        folder / "body.html": _BODY.format(layout=LAYOUT),
        folder / "samples" / "default.yaml": _SAMPLE,
    }
    for path, text in files.items():
        write_atomic(path, text)
        written.append(config.rel(path))
    return written
