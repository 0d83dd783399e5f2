"""Building over several processes gives the same outputs and findings, in the same order, as one."""

from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path

import pytest

from kmsg_authoring.cli import main
from kmsg_authoring.project import workers
from kmsg_authoring.project.build import BuildOptions, build_project
from kmsg_authoring.source.config import load_config
from tests.conftest import CORPUS, EXAMPLES, REPO, corpus_files, requires_corpus
from tests.corpus_project import make_corpus_project


def _files(build: Path) -> dict[str, bytes]:
    """build/'s outputs (not its cache, whose rows record when they were written) by relative path."""
    return {
        str(p.relative_to(build)): p.read_bytes()
        for p in sorted(build.rglob("*"))
        if p.is_file() and not p.name.startswith(".cache")
    }


def _cli(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["-C", str(root), *args])
    captured = capsys.readouterr()
    # The summary line ends with the elapsed time: the one thing allowed to differ.
    return code, re.sub(r"\d+\.\d\ds\)", "s)", captured.out + captured.err)


def _examples(dest: Path) -> Path:
    shutil.copytree(EXAMPLES, dest / "templates_src")
    shutil.copy(REPO / "kmsg.toml", dest / "kmsg.toml")
    return dest


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_examples_build_the_same_with_one_and_several_workers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    monkeypatch.setattr(workers, "START_METHOD", method)
    one, several = _examples(tmp_path / "one"), _examples(tmp_path / "several")
    # A template that fails (a lint error) among those that build: its place in the report holds too.
    for root in (one, several):
        body = root / "templates_src" / "reminder" / "body.html"
        body.write_text(body.read_text(encoding="utf-8").replace("{% endblock %}", "<p>{undeclared}</p>{% endblock %}"))
    code1, out1 = _cli(capsys, one, "build", "--jobs", "1")
    code3, out3 = _cli(capsys, several, "build", "--jobs", "3")
    assert code1 == code3 == 1
    assert "undeclared" in out1
    assert out3 == out1
    assert _files(several / "build") == _files(one / "build")
    assert any(name.endswith(".fr.json") for name in _files(one / "build"))  # locale builds went through the pool
    # And the in-memory reports, key by key, in order.
    reports = [
        build_project(load_config(root), None, BuildOptions(write=False, use_cache=False, jobs=j))
        for root, j in ((one, 1), (several, 3))
    ]
    assert list(reports[0].compiled) == list(reports[1].compiled)
    assert reports[0].rebuilt == reports[1].rebuilt
    assert reports[0].problems == reports[1].problems
    assert [(k, [e.message for e in v]) for k, v in reports[0].failures.items()] == [
        (k, [e.message for e in v]) for k, v in reports[1].failures.items()
    ]
    assert [c.body for c in reports[0].compiled.values()] == [c.body for c in reports[1].compiled.values()]


@requires_corpus
def test_corpus_project_builds_the_same_with_one_and_several_workers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers, "START_METHOD", "fork")  # as the command runs, whatever threads tests left
    files = corpus_files()
    one, several = tmp_path / "one", tmp_path / "several"
    make_corpus_project(one, files, CORPUS)
    make_corpus_project(several, files, CORPUS)
    code1, out1 = _cli(capsys, one, "build", "--jobs", "1")
    code2, out2 = _cli(capsys, several, "build", "--jobs", "2")
    assert code1 == code2
    assert out2 == out1
    assert out1.count(": KM6") > 100  # findings with their locations, compared line by line
    assert _files(several / "build") == _files(one / "build")
    assert len(_files(one / "build")) == 2 * len(files) + len(files) + 1  # json, html, contract, manifest


def test_one_template_and_small_projects_start_no_pool(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_pool(*args: object, **kwargs: object) -> None:
        raise AssertionError("a pool was started")

    import concurrent.futures

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", no_pool)
    root = _examples(tmp_path / "p")
    assert _cli(capsys, root, "build", "event-invitation")[0] == 0
    assert _cli(capsys, root, "lint", "reminder")[0] == 0
    assert _cli(capsys, root, "build", "--no-cache")[0] == 0  # fewer templates than pay for a pool
    assert _cli(capsys, root, "build", "--no-cache", "--jobs", "1")[0] == 0
    # A process running other threads (the preview server) builds in one process: forking it could
    # copy a lock one of them holds.
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        monkeypatch.setattr(workers, "START_METHOD", None)
        build_project(load_config(root), None, BuildOptions(write=False, use_cache=False, jobs=2))
    finally:
        stop.set()
        other.join()
    monkeypatch.setattr(workers, "START_METHOD", "fork")
    with pytest.raises(AssertionError, match="a pool was started"):
        build_project(load_config(root), None, BuildOptions(write=False, use_cache=False, jobs=2))


def test_the_pool_is_sized_by_the_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "available_cores", lambda: 2)
    assert workers.workers_for(1, None) == 1
    assert workers.workers_for(workers.PARALLEL_FROM - 1, None) == 1
    assert workers.workers_for(1000, None) == 2
    assert workers.workers_for(1, 4) == 1 and workers.workers_for(3, 4) == 3 and workers.workers_for(1000, 4) == 4


def test_a_worker_that_dies_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers, "START_METHOD", "fork")
    monkeypatch.setattr(workers, "build_template", lambda step, slug: os._exit(3))
    root = _examples(tmp_path / "p")
    code, out = _cli(capsys, root, "build", "--jobs", "2")
    assert code == 1
    assert "a build process stopped before the build was done" in out and "--jobs 1" in out
    assert "Traceback" not in out
    assert not (root / "build" / "event-invitation.json").exists()


@pytest.mark.parametrize("value", ["0", "-2", "many"])
def test_bad_jobs_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str) -> None:
    root = _examples(tmp_path / "p")
    assert main(["-C", str(root), "build", "--jobs", value]) == 2
    assert "--jobs" in capsys.readouterr().err
    assert not (root / "build").exists()


@pytest.mark.parametrize(
    ("jobs", "message"), [("0", "must be 1 or more, not 0"), ("two", "'two' is not a whole number")]
)
def test_jobs_must_be_a_whole_number_of_processes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], jobs: str, message: str
) -> None:
    root = _examples(tmp_path)
    code, output = _cli(capsys, root, "build", "--jobs", jobs)
    assert code == 2 and f"argument -j/--jobs: {message}" in output
    assert not (root / "build").exists()
