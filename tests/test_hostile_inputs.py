"""No traceback for any input: check-params within a size and depth, refusing devices and FIFOs;
over-long names in pull, new and init."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kmsg_authoring.publish.pull import pull, slugify
from kmsg_authoring.source.config import load_config
from kmsg_authoring.source.scaffold import MAX_SLUG_LENGTH
from tests.conftest import MINIMAL_BODY, MINIMAL_YAML
from tests.publish.fake_api import FakeApi
from tests.publish.test_pull import ELSEWHERE, GUID

Project = Callable[[dict[str, str | bytes]], Path]


def kmsg(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """kmsg-author in a new process: a hang fails the test instead of stalling it."""
    return subprocess.run(
        [sys.executable, "-m", "kmsg_authoring", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture
def project(make_project: Project) -> Path:
    return make_project({"templates_src/t/template.yaml": MINIMAL_YAML, "templates_src/t/body.html": MINIMAL_BODY})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "JSON nested deeper than 64 levels"),
        ('{"a": ' + "[" * 100 + "]" * 100 + "}", "JSON nested deeper than 64 levels"),
        ('{"n": ' + "9" * 100_000 + "}", "not usable JSON: Exceeds the limit (4300 digits)"),
    ],
    ids=["100k-deep", "100-deep", "100k-digit-integer"],
)
def test_check_params_refuses_deep_or_huge_json_in_one_line(
    project: Path, tmp_path: Path, text: str, message: str
) -> None:
    doc = tmp_path / "doc.json"
    doc.write_text(text, encoding="utf-8")
    done = kmsg("-C", str(project), "check-params", "t", str(doc))
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{doc}:1:1: {message}"), done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("kind", ["device", "fifo", "folder"])
def test_check_params_refuses_what_is_not_a_file(project: Path, tmp_path: Path, kind: str) -> None:
    if kind == "device":
        target = "/dev/zero"
    elif kind == "fifo":
        target = str(tmp_path / "pipe")
        os.mkfifo(target)  # nobody writes to it: reading would wait for ever
    else:
        target = str(tmp_path)
    done = kmsg("-C", str(project), "check-params", "t", target, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert target in done.stderr


def test_check_params_reads_a_bounded_size(project: Path, tmp_path: Path) -> None:
    from kmsg_authoring.source.documents import MAX_DOCUMENT_BYTES

    doc = tmp_path / "big.json"
    with doc.open("wb") as fh:
        fh.truncate(MAX_DOCUMENT_BYTES + 1)  # sparse: no disk spent
    done = kmsg("-C", str(project), "check-params", "t", str(doc))
    assert done.returncode == 2 and f"{doc}: larger than 32 MiB" in done.stderr, done.stderr


def test_new_with_a_300_character_name_is_a_clear_error(project: Path) -> None:
    done = kmsg("-C", str(project), "new", "a" * 300)
    assert done.returncode == 2 and "too long for a slug (300 > 64 characters)" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and not any(p.name.startswith("aaa") for p in project.rglob("*"))


def test_init_with_a_300_character_name_is_a_clear_error(tmp_path: Path) -> None:
    done = kmsg("init", str(tmp_path / ("a" * 300)))
    assert done.returncode == 2, done.stderr
    assert "is too long (300 > 255 bytes" in done.stderr and "Traceback" not in done.stderr


def test_pull_shortens_a_5000_character_name_to_unique_slugs(tmp_path: Path) -> None:
    api = FakeApi()
    long = "A" * 5000
    for name in (long, long + " B", long + " C"):
        api.client().add_template({**ELSEWHERE, "name": name})
    config = load_config(tmp_path)
    written = pull(api.client(), config, app_guid=GUID).written
    slugs = [slug for slug, _ in written]
    assert len(set(slugs)) == 3 and all(len(s) <= MAX_SLUG_LENGTH for s in slugs)
    assert sorted(name for _, name in written) == sorted([long, long + " B", long + " C"])
    for slug in slugs:
        assert (tmp_path / "templates_src" / slug / "body.html").is_file()
    # The same name pulled again later gets the same folder; a name cut alike gets another one.
    assert slugify(long) == slugify(long) and slugify(long) != slugify(long + " B")
    assert slugify("Event Invitation") == "event-invitation"


def test_pulled_shortened_slugs_stay_unique_when_they_collide(tmp_path: Path) -> None:
    api = FakeApi()
    long = "A" * 5000
    for name in (long, long.lower(), long + "!"):  # all three slugify alike
        api.client().add_template({**ELSEWHERE, "name": name})
    config = load_config(tmp_path)
    slugs = [slug for slug, _ in pull(api.client(), config, app_guid=GUID).written]
    assert len(set(slugs)) == 3 and all(len(s) <= MAX_SLUG_LENGTH for s in slugs), slugs
