"""`kmsg-author new` and `kmsg-author init`: a template folder, or a whole project, that builds and lints clean."""

from __future__ import annotations

import os
import re
from pathlib import Path

from kmsg_authoring.errors import UsageError
from kmsg_authoring.source.config import Config
from kmsg_authoring.source.files import write_atomic
from kmsg_authoring.model import SANDBOX_URL, TEMPLATE_FILE

SLUG_RE = re.compile(r"\A[a-z0-9][a-z0-9-]*\Z")
# A slug names a folder and build outputs (<slug>.<locale>.json, <slug>.schema.json, snapshots):
# short enough for every file system's name limit with those suffixes.
MAX_SLUG_LENGTH = 64
# The longest file name most file systems take (ext4, APFS, NTFS: 255).
MAX_NAME_BYTES = 255
LAYOUT = "_layouts/base.html"
MJML_LAYOUT = "_layouts/base.mjml"
# The bulletproof building blocks (button, background, columns, calendar links) shipped in
# kmsg_authoring/scaffold/email.html; `init` and `new` copy them into the project, where the
# designer can read and change them.
MACROS = "_macros/email.html"


def macros_text() -> str:
    """The macros file shipped with the toolkit."""
    from importlib import resources

    return resources.files("kmsg_authoring").joinpath("scaffold", "email.html").read_text(encoding="utf-8")


_MJML_LAYOUT_TEXT = """\
<mjml lang="en">
  <mj-head>
    <mj-title>{% block title %}{% endblock %}</mj-title>
    <mj-preview>{% block preheader %}{% endblock %}</mj-preview>
    <mj-attributes>
      <mj-all font-family="Helvetica, Arial, sans-serif" />
      <mj-text font-size="16px" line-height="24px" color="#1f2933" />
    </mj-attributes>
  </mj-head>
  <mj-body background-color="#f4f5f7">
    <mj-section background-color="#ffffff" padding="32px 0">
      <mj-column>
{% block content %}{% endblock %}
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>
"""

_MJML_BODY = """\
{{% extends "{layout}" %}}
{{% block title %}}{{eventName}}{{% endblock %}}
{{% block preheader %}}Your link to join {{eventName}}, and what to expect.{{% endblock %}}
{{% block content %}}
<mj-text>
  <h1>Hello {{recipient.firstName}}</h1>
  <p>This is about {{eventName}}.</p>
  <p><a href="{{joinLink}}">Join {{eventName}}</a></p>
</mj-text>
{{% endblock %}}
"""

_LAYOUT_TEXT = """\
<!DOCTYPE html>
<html lang="en" xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{% block title %}{% endblock %}</title>
  <!--[if mso]><xml><o:OfficeDocumentSettings><o:PixelsPerInch>96</o:PixelsPerInch></o:OfficeDocumentSettings></xml><![endif]-->
  <style>
    body { margin: 0; padding: 0; background-color: #f4f5f7; mso-line-height-rule: exactly; }
    .content { padding: 32px; font-family: Helvetica, Arial, sans-serif; font-size: 16px; line-height: 24px; color: #1f2933; background-color: #ffffff; }
    @media screen and (max-width: 600px) { .content { padding: 20px !important; } }
  </style>
</head>
<body>
  <div style="display: none; mso-hide: all;">{% block preheader %}{% endblock %}</div>
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
  joinLink: {{type: MagicLink}}
"""

_BODY = """\
{{% extends "{layout}" %}}
{{% block title %}}{{eventName}}{{% endblock %}}
{{% block preheader %}}Your link to join {{eventName}}, and what to expect.{{% endblock %}}
{{% from "{macros}" import button %}}
{{% block content %}}
<h1>Hello {{recipient.firstName}}</h1>
<p>This is about {{eventName}}.</p>
{{{{ button("{{joinLink}}", "Join {{eventName}}") }}}}
{{% endblock %}}
"""

_SAMPLE = """\
users:
  - {id: jane@example.com, firstName: Jane, lastName: Doe, email: jane@example.com}
msgParams:
  recipient: {type: User, value: Message.userId}
  eventName: {type: String, value: Annual Conference 2026}
  joinLink: {type: MagicLink, value: {baseURL: "https://events.example.com/join", expiry: 24}}
"""


def new_template(config: Config, slug: str, *, mjml: bool = False) -> list[str]:
    """Create templates_src/<slug>/ (and the shared layout if the project has none); the files written.

    With mjml, the body is body.mjml on an MJML layout (_layouts/base.mjml).
    """
    if len(slug) > MAX_SLUG_LENGTH:
        raise UsageError(f"'{slug[:20]}...' is too long for a slug ({len(slug)} > {MAX_SLUG_LENGTH} characters)")
    if not SLUG_RE.match(slug):
        raise UsageError(f"'{slug}' is not a valid slug: use lowercase letters, digits and '-'")
    folder = config.src_dir / slug
    if folder.exists():
        raise UsageError(f"{config.rel(folder)} already exists")
    written = []
    layout_name, layout_text = (MJML_LAYOUT, _MJML_LAYOUT_TEXT) if mjml else (LAYOUT, _LAYOUT_TEXT)
    layout = config.src_dir / layout_name
    if not layout.exists():
        write_atomic(layout, layout_text)
        written.append(config.rel(layout))
    if not mjml:
        macros = config.src_dir / MACROS
        if not macros.exists():
            write_atomic(macros, macros_text())
            written.append(config.rel(macros))
    title = slug.replace("-", " ").capitalize()
    files = {
        folder / TEMPLATE_FILE: _YAML.format(title=title),
        folder / ("body.mjml" if mjml else "body.html"): (_MJML_BODY if mjml else _BODY).format(
            layout=layout_name, macros=MACROS
        ),
        folder / "samples" / "default.yaml": _SAMPLE,
    }
    for path, text in files.items():
        write_atomic(path, text)
        written.append(config.rel(path))
    return written


EXAMPLE_SLUG = "welcome"

_CONFIG = """\
# kmsg-author project settings. Every section is optional.

[build]
inliner = "css-inline"          # or "premailer"

[brand]                          # build-time variables: {{ brand.company }} in layouts and bodies
company = "Example Events"

# An environment to publish to. Uncomment it, fill it in, export the KS, then
# `kmsg-author plan --env staging` shows what `kmsg-author publish --env staging` would do.
# [environments.staging]
# region = "nvp1"                # nvp1 | irp2 | frp2, or url = "SANDBOX_URL" for `kmsg-author sandbox`
# app_guid = "..."               # the App Registry GUID the templates belong to
# ks_env = "KALTURA_KS"          # the environment variable holding an ADMIN KS

[lint]
# The mail clients the client-support rules judge for, as globs (`kmsg-author clients` lists them);
# without it, a default list of the clients most mail is opened in applies.
# clients = ["gmail.*", "outlook.windows", "apple-mail.*"]

# The layout's @media rule only narrows the padding on phones: a client without @media keeps the
# desktop padding, which reads fine, so it is not reported.
[lint.options.client-unsupported-at-rule]
ignore = ["css-at-media"]
"""

_GITIGNORE = """\
# kmsg-author outputs: reproducible from the sources
build/
preview-out/
"""

_PRE_COMMIT = """\
# Lint templates before each commit: `pre-commit install` once per clone.
# Requires kmsg-author on PATH when you commit (language: system): activate the environment you
# installed it in (pip install from its Git URL or a local checkout) before `git commit`. Without it
# the commit stops with "Executable `kmsg-author` not found". The README shows how to let pre-commit
# install kmsg-author itself instead.
repos:
  - repo: local
    hooks:
      - id: kmsg-author-lint
        name: kmsg-author lint
        entry: kmsg-author lint
        language: system
        files: ^templates_src/
        pass_filenames: true
        require_serial: true
"""


def init_project(root: Path) -> list[str]:
    """Create a project in root (made if missing): kmsg.toml, .gitignore, a pre-commit config and an
    example template on a layout. Refuses, writing nothing, when any of those files exists."""
    from kmsg_authoring.source.config import CONFIG_FILE, load_config

    files = {
        CONFIG_FILE: _CONFIG.replace("SANDBOX_URL", SANDBOX_URL),
        ".gitignore": _GITIGNORE,
        ".pre-commit-config.yaml": _PRE_COMMIT,
    }
    too_long = [part for part in root.parts if len(os.fsencode(part)) > MAX_NAME_BYTES]
    if too_long:
        raise UsageError(
            f"folder name '{too_long[0][:20]}...' is too long ({len(os.fsencode(too_long[0]))} > "
            f"{MAX_NAME_BYTES} bytes, the file system's limit); choose a shorter name"
        )
    taken = [
        name for name in [*files, f"templates_src/{LAYOUT}", f"templates_src/{EXAMPLE_SLUG}"] if (root / name).exists()
    ]
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} exists and is not a folder")
    if taken:
        raise UsageError(
            f"{root}: {', '.join(taken)} already exist(s); nothing was written "
            "(init creates a new project; `kmsg-author new SLUG` adds a template to one)"
        )
    for name, text in files.items():
        write_atomic(root / name, text)
    config = load_config(root)
    return [*files, *new_template(config, EXAMPLE_SLUG)]
