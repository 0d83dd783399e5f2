"""A catalog's header is checked as Babel reads it: Plural-Forms and charset, at the header's line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.i18n.test_locales import FR, FR_PO, Project, files, run

PLURAL_LINE = FR.splitlines().index('"Plural-Forms: nplurals=2; plural=(n > 1);\\n"') + 1
CHARSET_LINE = FR.splitlines().index('"Content-Type: text/plain; charset=UTF-8\\n"') + 1


def with_plural_forms(value: str) -> str:
    return FR.replace("nplurals=2; plural=(n > 1);", value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nplurals=11; plural=n%11;", "nplurals must be a number from 1 to 10 (found '11')"),
        ("nplurals=0; plural=0;", "nplurals must be a number from 1 to 10"),
        ("nplurals=many; plural=0;", "nplurals must be a number from 1 to 10 (found 'many')"),
        ("garbage", "Plural-Forms must say nplurals=N; plural=EXPRESSION;"),
        ("nplurals=2;", "Plural-Forms must say nplurals=N; plural=EXPRESSION;"),
        ('nplurals=2; plural=__import__(\\"os\\").getpid();', "is not a valid plural expression"),
        ("nplurals=2; plural=n;", "plural='n' gives form 2 for n=2, but nplurals=2"),
    ],
    ids=["over-bound", "zero", "not-a-number", "garbage", "no-expression", "code", "form-out-of-range"],
)
def test_an_invalid_plural_forms_header_is_located_at_its_line(
    make_project: Project, capsys: pytest.CaptureFixture[str], value: str, message: str
) -> None:
    root = make_project(files(**{FR_PO: with_plural_forms(value)}))
    for command in ("build", "lint"):
        code, text = run(capsys, root, command)
        assert code == 1, text
        assert f"{FR_PO}:{PLURAL_LINE}:1: KM001 invalid catalog header: " in text and message in text
        assert "template.yaml" not in text and "Traceback" not in text
    assert not (root / "build/invite.fr.json").exists()


def test_a_valid_plural_forms_header_still_builds(make_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    arabic = "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);"
    root = make_project(files(**{FR_PO: with_plural_forms(arabic)}))
    code, text = run(capsys, root, "build")
    assert code == 0, text
    assert (root / "build/invite.fr.json").exists()


def test_a_plural_header_bomb_is_refused_before_memory_is_spent(make_project: Project) -> None:
    """nplurals=999999999 made Babel allocate a billion translations per plural message (15 GB)."""
    root = make_project(files(**{FR_PO: with_plural_forms("nplurals=999999999; plural=n;")}))
    limit = 1024 * 1024 * 1024  # 1 GiB of address space: the refusal needs a small part of it
    code = (
        "import resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))\n"
        "from kmsg_authoring.cli import main\n"
        f"sys.exit(main(['-C', {str(root)!r}, 'build', '--no-cache']))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{FR_PO}:{PLURAL_LINE}:1: KM001 invalid catalog header: nplurals must be a number" in done.stderr
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stdout + done.stderr


@pytest.mark.parametrize("charset", ["garbage", "rot13"])
def test_a_bad_charset_is_located_at_the_catalog_line(
    make_project: Project, capsys: pytest.CaptureFixture[str], charset: str
) -> None:
    root = make_project(files(**{FR_PO: FR.replace("charset=UTF-8", f"charset={charset}")}))
    code, text = run(capsys, root, "build")
    assert code == 1, text
    assert f"{FR_PO}:{CHARSET_LINE}:1: KM001 invalid catalog header: unknown charset '{charset}'" in text
    assert "template.yaml" not in text


def test_text_that_is_not_in_the_catalog_charset_is_located(
    make_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    latin1 = FR.encode("utf-8").replace(b"Une place", b"Une pl\xe9ce")
    root = make_project(files(**{FR_PO: latin1}))
    code, text = run(capsys, root, "build")
    assert code == 1, text
    line = FR.splitlines().index('msgstr[0] "Une place"') + 1
    assert f"{FR_PO}:{line}:1: KM001 not a valid PO file: not utf-8 text" in text
