"""Guards whose removal nothing caught: confinement against a sibling folder sharing the root's
name as a prefix, and the preview's Host check when bound to every address."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kmsg_authoring.errors import SourceError
from kmsg_authoring.preview.server import LivePreview
from kmsg_authoring.preview.site import PreviewSite
from kmsg_authoring.source.config import load_config
from kmsg_authoring.source.project import confine, read_text
from tests.conftest import MINIMAL_BODY, MINIMAL_YAML, write_tree
from tests.preview.test_server import FakeWatcher

SECRET = "sibling-secret-0d1f"


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    """/…/proj, with /…/proj-evil beside it: its path starts with the project root's."""
    root = write_tree(
        tmp_path / "proj", {"templates_src/t/template.yaml": MINIMAL_YAML, "templates_src/t/body.html": MINIMAL_BODY}
    )
    evil = tmp_path / "proj-evil"
    evil.mkdir()
    (evil / "body.html").write_text(MINIMAL_BODY.replace("Hi", SECRET), encoding="utf-8")
    return root


def test_confine_refuses_a_sibling_folder_whose_path_starts_with_the_roots(proj: Path) -> None:
    sibling = proj.parent / "proj-evil" / "body.html"
    assert str(sibling).startswith(str(proj))  # what a string-prefix check would take for inside
    with pytest.raises(SourceError, match="leads outside the project"):
        confine(proj, sibling)
    link = proj / "templates_src/t/partial.html"
    os.symlink(sibling, link)
    with pytest.raises(SourceError, match="leads outside the project"):
        read_text(link, "templates_src/t/partial.html", root=proj)
    assert confine(proj, proj / "templates_src/t/body.html") == "templates_src/t/body.html"


def test_a_body_linked_to_the_sibling_folder_is_not_built(proj: Path) -> None:
    body = proj / "templates_src/t/body.html"
    body.unlink()
    os.symlink(proj.parent / "proj-evil/body.html", body)
    done = subprocess.run(
        [sys.executable, "-m", "kmsg_authoring", "-C", str(proj), "build"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "templates_src/t/body.html:1:1:" in done.stderr and "leads outside the project" in done.stderr
    build = proj / "build"
    assert not build.exists() or all(
        SECRET not in p.read_text("utf-8", "replace") for p in build.rglob("*") if p.is_file()
    )


@pytest.fixture
def everywhere(example_project: Path) -> Iterator[LivePreview]:
    """The preview bound to every address (--host 0.0.0.0)."""
    preview = LivePreview(PreviewSite(load_config(example_project)), host="0.0.0.0", port=0, watcher=FakeWatcher())
    preview.start()
    yield preview
    preview.stop()


def _get(preview: LivePreview, host: str, path: str = "/t/reminder") -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", preview.port, timeout=30)
    try:
        conn.putrequest("GET", path, skip_host=True)
        conn.putheader("Host", host.format(port=preview.port))
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8")
    finally:
        conn.close()


@pytest.mark.parametrize("host", ["attacker.example:{port}", "127.0.0.1.nip.io:{port}", "192.168.1.20:1"])
def test_bound_to_every_address_a_rebound_name_is_still_refused(everywhere: LivePreview, host: str) -> None:
    status, text = _get(everywhere, host)
    assert status == 421 and "reminder" not in text


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "192.168.1.20:{port}", "[::1]:{port}"])
def test_bound_to_every_address_its_ip_addresses_are_served(everywhere: LivePreview, host: str) -> None:
    status, text = _get(everywhere, host)
    assert status == 200 and "reminder" in text
