"""The live preview over real HTTP on 127.0.0.1, with a watcher the test drives."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from kmsg_authoring.source.config import load_config
from kmsg_authoring.preview.server import LivePreview
from kmsg_authoring.preview.site import PreviewSite


class FakeWatcher:
    """Reports exactly the changes the test announces."""

    def __init__(self) -> None:
        self.on_change: Callable[[Path], None] | None = None
        self.folders: list[Path] = []
        self.stopped = False

    def start(self, folders: list[Path], on_change: Callable[[Path], None], *, flat: Sequence[Path] = ()) -> None:
        self.folders = [*folders, *flat]
        self.on_change = on_change

    def stop(self) -> None:
        self.stopped = True

    def announce(self, path: Path) -> None:
        assert self.on_change is not None
        self.on_change(path)


def get(url: str, timeout: float = 10) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


@pytest.fixture
def live(example_project: Path) -> Iterator[tuple[LivePreview, FakeWatcher]]:
    watcher = FakeWatcher()
    preview = LivePreview(PreviewSite(load_config(example_project), poll_timeout=10), port=0, watcher=watcher)
    preview.start()
    yield preview, watcher
    preview.stop()
    assert watcher.stopped


def test_a_waiting_page_hears_of_a_save_to_its_template(live: tuple[LivePreview, FakeWatcher]) -> None:
    preview, watcher = live
    assert preview.url.startswith("http://127.0.0.1:")
    status, page = get(preview.url + "t/reminder")
    assert status == 200
    epoch = page.split('data-live-epoch="', 1)[1].split('"', 1)[0]
    replies: list[str] = []
    poll = threading.Thread(
        target=lambda: replies.append(get(f"{preview.url}livereload?since={epoch}&slug=reminder")[1])
    )
    poll.start()
    body = preview.site.config.root / "templates_src/reminder/body.html"
    body.write_text(
        body.read_text(encoding="utf-8").replace("{% block content %}", "{% block content %}<p>Now live</p>"),
        encoding="utf-8",
    )
    watcher.announce(body)
    poll.join(timeout=10)
    assert replies and replies[0] != epoch
    assert "Now live" in get(preview.url + "t/reminder/email/default/0.html")[1]


def test_files_outside_the_project_are_not_served(live: tuple[LivePreview, FakeWatcher]) -> None:
    preview, _ = live
    for path in ("static/..%2F..%2Fconfig.py", "static/%2e%2e/site.py", "..%2F..%2Fkmsg.toml"):
        assert get(preview.url + path)[0] == 404


def test_the_watcher_watches_the_sources_and_the_config(live: tuple[LivePreview, FakeWatcher]) -> None:
    preview, watcher = live
    assert watcher.folders == [preview.site.config.src_dir, preview.site.config.root]


def test_the_real_watcher_turns_a_save_into_a_reload(example_project: Path) -> None:
    preview = LivePreview(PreviewSite(load_config(example_project), poll_timeout=10), port=0)
    preview.start()
    try:
        epoch = preview.site.current("follow-up")
        replies: list[str] = []
        poll = threading.Thread(
            target=lambda: replies.append(get(f"{preview.url}livereload?since={epoch}&slug=follow-up")[1])
        )
        poll.start()
        sample = example_project / "templates_src/follow-up/samples/default.yaml"
        sample.write_text(
            sample.read_text(encoding="utf-8").replace("firstName: Jane", "firstName: Janet"), encoding="utf-8"
        )
        poll.join(timeout=15)
        assert replies and int(replies[0]) > epoch
        assert "Janet" in get(preview.url + "t/follow-up/email/default/0.html")[1]
        assert preview.site.current("reminder") < int(replies[0])  # untouched templates were not rebuilt
    finally:
        preview.stop()


def test_an_unexpected_failure_is_a_500_page_and_the_server_keeps_serving(
    live: tuple[LivePreview, FakeWatcher], monkeypatch: pytest.MonkeyPatch
) -> None:
    preview, _ = live

    def broken(*args: object) -> object:
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(preview.site, "renderings", broken)
    status, page = get(preview.url + "t/reminder/email/default/0.html")
    assert status == 500 and "RuntimeError: renderer exploded" in page and "Traceback" not in page
    assert get(preview.url)[0] == 200


def _get_with_host(preview: LivePreview, host: str | None, path: str = "/") -> tuple[int, str]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", preview.port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_host=True)
        if host is not None:
            conn.putheader("Host", host)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8")
    finally:
        conn.close()


@pytest.mark.parametrize(
    "host",
    ["attacker.example:{port}", "attacker.example", "127.0.0.1.nip.io:{port}", "127.0.0.1:1", "localhost", None],
    ids=["rebound-name", "no-port", "lookalike", "other-port", "localhost-no-port", "absent"],
)
def test_a_page_reached_through_another_host_name_is_refused(
    live: tuple[LivePreview, FakeWatcher], host: str | None
) -> None:
    # Issue 9, item 8: a page whose domain was rebound to 127.0.0.1 must not read the preview or a payload.
    preview, _ = live
    for path in ("/", "/t/reminder", "/t/reminder/payload.json"):
        status, text = _get_with_host(preview, None if host is None else host.format(port=preview.port), path)
        assert status == 421, path
        assert "Hi " not in text and "reminder" not in text


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}"])
def test_the_bound_address_and_localhost_are_served(live: tuple[LivePreview, FakeWatcher], host: str) -> None:
    preview, _ = live
    status, page = _get_with_host(preview, host.format(port=preview.port), "/t/reminder")
    assert status == 200 and "reminder" in page
