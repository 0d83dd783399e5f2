"""`kmsg-author links --online` against local servers: 200, 301, 404, a slow answer, a TLS error."""

from __future__ import annotations

import json
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kmsg_authoring.cli import main
from kmsg_authoring.errors import EXIT_FAILURE, EXIT_OK
from kmsg_authoring.review.links import LinkOptions, check_links
from kmsg_authoring.source.config import load_config
from tests.lint.cases_deliverability import image
from tests.lint.conftest import template_files, write


IMAGE = image("PNG", 300, 200)


class _State:
    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    state: _State

    def do_GET(self) -> None:
        state = self.state
        with state.lock:
            state.hits[self.path] = state.hits.get(self.path, 0) + 1
            state.in_flight += 1
            state.most_in_flight = max(state.most_in_flight, state.in_flight)
        try:
            if self.path == "/moved":
                self.send_response(301)
                self.send_header("Location", "/ok")
            elif self.path == "/missing":
                self.send_response(404)
            elif self.path == "/img.png":
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(IMAGE)))
                self.end_headers()
                self.wfile.write(IMAGE)
                return
            else:
                if self.path == "/slow":
                    time.sleep(1.0)
                elif self.path.startswith("/page"):
                    time.sleep(1.0)  # long enough for the requests to one host to overlap on a loaded machine
                self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
        finally:
            with state.lock:
                state.in_flight -= 1

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(context: ssl.SSLContext | None = None) -> tuple[ThreadingHTTPServer, _State]:
    state = _State()
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, state


@pytest.fixture
def http_server() -> Iterator[tuple[str, _State]]:
    server, state = _serve()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    server.shutdown()


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[str]:
    """An HTTPS server with a self-signed certificate no client trusts."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server, _ = _serve(context)
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _project(root: Path, base: str, tls: str) -> Path:
    body = "\n".join(
        [
            f'<p><a href="{base}/ok">Fine</a></p>',
            f'<p><a href="{base}/moved">Moved</a></p>',
            f'<p><a href="{base}/missing">Gone</a></p>',
            f'<p><a href="{base}/slow">Slow</a></p>',
            f'<p><a href="{tls}/ok">Untrusted</a></p>',
            f'<p><img src="{base}/ok?img={{recipient.firstName}}" alt="x"></p>',
        ]
    )
    return write(root, {**template_files(body), "kmsg.toml": ""})


def test_links_online_reports_each_answer_at_its_source_line(
    tmp_path: Path, http_server: tuple[str, _State], https_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    base, state = http_server
    root = _project(tmp_path / "p", base, https_server)
    code = main(["-C", str(root), "links", "--online", "--format", "json", "--slow", "0.5", "--timeout", "20"])
    assert code == EXIT_FAILURE
    checks = {c["url"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    ok, moved, missing, slow = (checks[f"{base}{p}"] for p in ("/ok", "/moved", "/missing", "/slow"))
    assert (ok["status"], ok["broken"], ok["where"][0]["location"]) == (200, False, "templates_src/t/body.html:5:4")
    assert moved["status"] == 200 and moved["redirects"] == [f"{base}/ok"] and moved["final_url"] == f"{base}/ok"
    assert moved["where"][0]["location"] == "templates_src/t/body.html:6:4"
    assert missing["status"] == 404 and missing["broken"] and missing["where"][0]["location"].endswith(":7:4")
    assert slow["slow"] and not slow["broken"] and slow["seconds"] >= 1.0
    tls = checks[f"{https_server}/ok"]
    assert tls["broken"] and tls["error"].startswith("TLS error") and tls["where"][0]["location"].endswith(":9:4")
    # Image URLs are checked too, with the sample's token values filled in.
    image = checks[f"{base}/ok?img=Jane"]
    assert image["kind"] == "image" and image["status"] == 200
    assert state.hits["/missing"] == state.hits["/slow"] == 1  # each distinct URL is asked once


def test_text_output_names_broken_slow_and_redirected_links(
    tmp_path: Path, http_server: tuple[str, _State], https_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    base, _ = http_server
    root = _project(tmp_path / "p", base, https_server)
    assert main(["-C", str(root), "links", "--online", "--slow", "0.5", "--no-cache"]) == EXIT_FAILURE
    text = capsys.readouterr().out
    assert f"templates_src/t/body.html:7:4: broken: link {base}/missing HTTP 404" in text
    assert f"templates_src/t/body.html:6:4: redirect: link {base}/moved redirects to {base}/ok" in text
    assert "slow: link" in text and "broken: link https://" in text and "TLS error" in text


def test_working_answers_are_cached_and_broken_ones_asked_again(
    tmp_path: Path, http_server: tuple[str, _State]
) -> None:
    base, state = http_server
    body = f'<p><a href="{base}/ok">Fine</a> <a href="{base}/missing">Gone</a></p>'
    config = load_config(write(tmp_path / "p", {**template_files(body), "kmsg.toml": ""}))
    first = check_links(config)
    second = check_links(config)
    assert first.exit_code == second.exit_code == EXIT_FAILURE
    assert state.hits == {"/ok": 1, "/missing": 2}
    assert [c.cached for c in second.checks if c.url.endswith("/ok")] == [True]


def test_one_host_is_asked_a_bounded_number_at_a_time(tmp_path: Path, http_server: tuple[str, _State]) -> None:
    base, state = http_server
    body = "".join(f'<p><a href="{base}/page{i}">Page {i}</a></p>' for i in range(6))
    config = load_config(write(tmp_path / "p", {**template_files(body), "kmsg.toml": ""}))
    result = check_links(config, options=LinkOptions(concurrency=8, per_host=2, host_interval=0.0, cache_ttl=0))
    assert result.exit_code == EXIT_OK and len(result.checks) == 6
    assert state.most_in_flight <= 2  # the bound
    assert state.most_in_flight == 2  # and the two run at once


def test_without_online_nothing_is_fetched(
    tmp_path: Path, http_server: tuple[str, _State], capsys: pytest.CaptureFixture[str]
) -> None:
    base, state = http_server
    root = write(tmp_path / "p", {**template_files(f'<p><a href="{base}/ok">Fine</a></p>'), "kmsg.toml": ""})
    assert main(["-C", str(root), "links"]) == EXIT_OK
    assert f"templates_src/t/body.html:5:4: link {base}/ok" in capsys.readouterr().out
    assert state.hits == {}


def test_remote_images_are_weighed_and_measured(
    tmp_path: Path, http_server: tuple[str, _State], capsys: pytest.CaptureFixture[str]
) -> None:
    base, _ = http_server
    body = f'<p><img src="{base}/img.png" width="150" height="100" alt=""></p>'
    root = write(tmp_path / "p", {**template_files(body), "kmsg.toml": "[deliverability]\nmax_image_kb = 10\n"})
    assert main(["-C", str(root), "links", "--online", "--format", "json"]) == EXIT_OK
    (check,) = json.loads(capsys.readouterr().out)["checks"]
    assert (check["bytes"], check["pixels"]) == (len(IMAGE), [300, 200])
    assert main(["-C", str(root), "links", "--online"]) == EXIT_OK
    assert f"resolution: image {base}/img.png is 300 px wide, shown at 150 px (2.0x" not in capsys.readouterr().out
    assert main(["-C", str(root), "links", "--online"]) == EXIT_OK
    assert f"templates_src/t/body.html:5:4: heavy: image {base}/img.png weighs {len(IMAGE) / 1024:.0f} KB (> 10 KB" in (
        capsys.readouterr().out
    )


def test_a_remote_image_with_too_few_pixels_is_reported(
    tmp_path: Path, http_server: tuple[str, _State], capsys: pytest.CaptureFixture[str]
) -> None:
    base, _ = http_server
    body = f'<p><img src="{base}/img.png" width="200" height="133" alt=""></p>'
    root = write(tmp_path / "p", {**template_files(body), "kmsg.toml": ""})
    assert main(["-C", str(root), "links", "--online"]) == EXIT_OK
    out = capsys.readouterr().out
    assert (
        f"templates_src/t/body.html:5:4: resolution: image {base}/img.png is 300 px wide, shown at 200 px (1.5x" in out
    )
