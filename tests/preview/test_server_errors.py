"""A page that fails unexpectedly answers 500 and logs its cause; a malformed query is 400; a wrong path 404."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from kmsg_authoring.preview.server import LivePreview
from kmsg_authoring.preview.site import PreviewSite
from kmsg_authoring.source.config import load_config


class _NoWatcher:
    def start(self, *args: object, **kwargs: object) -> None:
        pass

    def stop(self) -> None:
        pass


@pytest.fixture
def served(example_project: Path) -> Iterator[tuple[LivePreview, list[str]]]:
    logged: list[str] = []
    live = LivePreview(PreviewSite(load_config(example_project)), port=0, watcher=_NoWatcher(), on_error=logged.append)
    live.start()
    yield live, logged
    live.stop()


def _status(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def test_a_failing_page_answers_500_and_logs_its_cause(
    served: tuple[LivePreview, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    live, logged = served

    def broken() -> object:
        raise KeyError("a bug in the index page")

    monkeypatch.setattr(live.site.routes, "_index", broken)
    status, body = _status(live.url)
    assert status == 500
    assert "KeyError" in body and "a bug in the index page" in body
    assert len(logged) == 1
    assert logged[0].startswith("GET / failed: KeyError: 'a bug in the index page' at test_server_errors.py:")


def test_a_malformed_query_is_400_and_an_unknown_page_404(served: tuple[LivePreview, list[str]]) -> None:
    live, logged = served
    status, body = _status(live.url + "livereload?since=abc")
    assert status == 400 and "since must be a build number" in body
    assert _status(live.url + "no/such/page")[0] == 404
    assert logged == []
