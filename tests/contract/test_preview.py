"""The preview's Contract tab, through the site's request handling (no port needed)."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from pathlib import Path

from kmsg_authoring.preview.site import PreviewSite
from kmsg_authoring.source.config import load_config
from tests.contract.test_cli import BODY, YAML

SAMPLE = """\
users:
  - {id: jane@example.com, firstName: Jane, email: jane@example.com}
msgParams:
  recipient: {type: User, value: Message.userId}
  eventName: {type: String, value: Annual Conference}
  joinLink: {type: MagicLink, value: {baseURL: "https://events.example.com/join", expiry: 48}}
  checkIn: {type: JwtQrCode, value: {payload: {eventId: "12345"}, secret: sample-signing-secret-77}}
"""


def test_the_contract_tab_shows_the_table_an_example_without_secrets_and_typescript(
    make_project: Callable[[dict[str, str | bytes]], Path],
) -> None:
    root = make_project(
        {
            "templates_src/invite/template.yaml": YAML,
            "templates_src/invite/body.html": BODY,
            "templates_src/invite/samples/default.yaml": SAMPLE,
        }
    )
    site = PreviewSite(load_config(root), qr_encoder=lambda data, options: "data:image/png;base64,AA==")
    site.build_all()
    page = site.handle("/t/invite")
    assert page.status == 200
    text = page.body.decode("utf-8")
    assert 'role="tab" data-target="contract" id="tab-contract"' in text
    panel = text[text.index('id="contract"') :]
    assert "<tr><td><code>joinLink</code></td><td>MagicLink</td>" in panel
    assert "Attach inline images (disposition <code>inline</code>) with contentId: <code>logo</code>" in panel
    example = json.loads(html.unescape(panel.split('<code class="send-example">')[1].split("</code>")[0]))
    assert example["msgParams"]["eventName"] == {"type": "String", "value": "Annual Conference"}
    assert example["msgParams"]["checkIn"]["value"]["secret"] == "<your JWT signing secret>"
    assert example["userIds"] == ["jane@example.com"]
    assert example["attachments"][0]["contentId"] == "logo"
    assert "sample-signing-secret-77" not in text
    assert "export interface InviteMsgParams" in html.unescape(panel)
    schema = site.handle("/t/invite/contract.schema.json")
    assert schema.status == 200 and json.loads(schema.body)["x-kmsg"]["template"] == "invite"
