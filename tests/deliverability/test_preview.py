"""The preview's inbox line per recipient, and its Deliverability tab (scored only when asked)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmsg_authoring.preview.site import PreviewSite
from kmsg_authoring.review import spamd
from kmsg_authoring.source.config import load_config
from tests.deliverability.conftest import requires_spamd


@pytest.fixture
def site(example_project: Path) -> PreviewSite:
    s = PreviewSite(load_config(example_project), poll_timeout=0.01)
    s.build_all()
    return s


def _text(site: PreviewSite, path: str) -> tuple[int, str]:
    response = site.handle(path)
    return response.status, response.body.decode("utf-8")


def test_each_recipient_has_an_inbox_line_with_the_preheader(site: PreviewSite) -> None:
    status, page = _text(site, "/t/reminder")
    assert status == 200
    assert page.count('class="inbox-row gmail"') == page.count('class="panel recipient"') >= 1
    assert 'class="inbox-row ios"' in page and "preview from the preheader" in page
    # The sample's values are in: the subject and the preheader as the reader sees them.
    gmail = page.split('class="inbox-row gmail"', 1)[1].split("</div>", 1)[0]
    assert '<b class="from">Acme Events</b>' in gmail and "Reminder: " in gmail and " starts " in gmail
    assert "{eventName}" not in gmail


def test_the_deliverability_tab_scores_only_when_asked(site: PreviewSite, monkeypatch: pytest.MonkeyPatch) -> None:
    started = []
    monkeypatch.setattr(spamd, "spamd_server", lambda **kw: started.append(kw) or (_ for _ in ()).throw(AssertionError))
    status, page = _text(site, "/t/reminder")
    assert status == 200 and 'id="deliverability"' in page and 'href="/t/reminder/spam' in page
    assert started == []


def test_the_deliverability_page_says_what_to_install(site: PreviewSite, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(spamd, "_SBIN", ())
    status, page = _text(site, "/t/reminder/spam")
    assert status == 503 and "apt-get install spamassassin" in page


@requires_spamd
def test_the_deliverability_page_shows_the_score_and_hits(site: PreviewSite) -> None:
    status, page = _text(site, "/t/reminder/spam")
    assert status == 200
    assert "under the limit" in page and "<code>MIME_HTML_ONLY</code>" in page
