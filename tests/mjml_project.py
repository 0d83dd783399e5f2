"""The MJML test set: a project of MJML templates built from a dict (tests and bench/build.py)."""

from __future__ import annotations

# The test set: several sections, columns, buttons, images, mj-attributes, mj-style inline="inline",
# mj-raw with an MSO comment, and a token of every type in text and in attributes.
LAYOUT = """\
<mjml lang="en">
  <mj-head>
    <mj-title>{% block title %}{% endblock %}</mj-title>
    <mj-attributes>
      <mj-all font-family="Helvetica, Arial, sans-serif" />
      <mj-text font-size="16px" line-height="24px" color="#1f2933" />
      <mj-class name="cta" background-color="#1a237e" color="#ffffff" />
    </mj-attributes>
    <mj-style inline="inline">.lead { font-weight: bold; }</mj-style>
    <mj-style>@media (max-width: 480px) { .lead { font-size: 18px !important; } }</mj-style>
  </mj-head>
  <mj-body background-color="#f4f5f7">
{% block content %}{% endblock %}
    <mj-section>
      <mj-column>
{% include "_partials/footer.mjml" %}
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>
"""
FOOTER = """\
        <mj-text font-size="12px"><p><a href="{unsub}">Unsubscribe</a></p></mj-text>
"""
BODY = """\
{% extends "_layouts/base.mjml" %}
{% block title %}Hello {recipient.firstName}{% endblock %}
{% block content %}
    <mj-section background-url="https://img.example.com/{eventName}.png" css-class="hero">
      <mj-column>
        <mj-text css-class="lead">Hi {recipient.firstName}, {eventName} starts soon.</mj-text>
        <mj-button mj-class="cta" href="{magic}">Sign in</mj-button>
      </mj-column>
      <mj-column css-class="col {eventName}">
        <mj-image src="{qr}" alt="Check-in code" width="200px" />
        <mj-button href="{more}">Details</mj-button>
      </mj-column>
    </mj-section>
    <mj-section>
      <mj-column>
        <mj-image src="https://img.example.com/logo.png" alt="Logo" width="120px" href="{more}" />
        <mj-raw><!--[if mso]><p>Outlook readers: {eventName}</p><![endif]--></mj-raw>
      </mj-column>
    </mj-section>
{% endblock %}
"""
YAML = """\
name: MJML News
subject: "News for {recipient.firstName}"
from: events@example.com
toAttributePath: "{recipient.email}"
msgParamsMap:
  recipient: {type: User}
  eventName: {type: String}
  magic: {type: MagicLink}
  more: {type: Dynamic}
  unsub: {type: UnsubscribeUri}
  qr: {type: JwtQrCode}
unsubscribeGroups: [news]
"""
SAMPLE = """\
users:
  - {id: jane@example.com, firstName: Jane, lastName: Doe, email: jane@example.com}
msgParams:
  recipient: {type: User, value: Message.userId}
  eventName: {type: String, value: Summit}
  magic: {type: MagicLink, value: {baseURL: "https://events.example.com/in", expiry: 48}}
  more: {type: Dynamic, value: "https://events.example.com/more"}
  unsub: {type: UnsubscribeUri, value: "https://events.example.com/unsub"}
  qr: {type: JwtQrCode, value: {payload: {id: "1"}, secret: dev-only-secret}}
"""


def mjml_files(slug: str = "news") -> dict[str, str | bytes]:
    return {
        "kmsg.toml": '[brand]\ncompany = "Acme"\n',
        "templates_src/_layouts/base.mjml": LAYOUT,
        "templates_src/_partials/footer.mjml": FOOTER,
        f"templates_src/{slug}/body.mjml": BODY,
        f"templates_src/{slug}/template.yaml": YAML,
        f"templates_src/{slug}/samples/default.yaml": SAMPLE,
    }
