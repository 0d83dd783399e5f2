"""Mistakes that used to pass in silence: each now fails with a message that says what to do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kmsg_authoring.cli import main
from kmsg_authoring.errors import HIDDEN, hide
from kmsg_authoring.source.scaffold import init_project


def _run(capsys: Any, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_folder_without_template_yaml_says_what_is_missing_and_how_to_make_it(tmp_path: Path, capsys: Any) -> None:
    init_project(tmp_path)
    (tmp_path / "templates_src" / "new-one").mkdir()
    (tmp_path / "templates_src" / "new-one" / "body.html").write_text("<p>x</p>", encoding="utf-8")
    for command in ("lint", "preview", "build"):
        code, _, err = _run(capsys, "-C", str(tmp_path), command, "new-one")
        assert code == 2, (command, err)
        assert "templates_src/new-one/ is not a template: it has no template.yaml" in err, (command, err)
        assert "kmsg-author new new-one" in err


def test_preview_watch_of_an_unknown_template_fails_before_serving(tmp_path: Path, capsys: Any) -> None:
    init_project(tmp_path)
    code, out, err = _run(capsys, "-C", str(tmp_path), "preview", "--watch", "nope")
    assert code == 2 and "Previewing" not in out
    assert "no template 'nope' in templates_src/ (templates: welcome)" in err


def test_preview_all_outside_a_project_fails_and_writes_nothing(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(capsys, "preview", "--all")
    assert code == 2
    assert "is not a kmsg-author project" in err and "kmsg-author init" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("text", "secrets", "shown"),
    [
        ("missing token 's'", ("s",), f"missing token '{HIDDEN}'"),
        ("secret=s, 'missing' is fine", ("s",), f"secret={HIDDEN}, 'missing' is fine"),
        ("abc-123 and xabc-123y", ("abc-123",), f"{HIDDEN} and xabc-123y"),
        ("value {'secret': 'k3y!'}", ("k3y!",), f"value {{'secret': '{HIDDEN}'}}"),
    ],
)
def test_redaction_hides_a_secret_where_it_stands_and_never_inside_other_words(
    text: str, secrets: tuple[str, ...], shown: str
) -> None:
    assert hide(text, *secrets) == shown


def test_check_params_with_a_one_letter_jwt_secret_keeps_its_messages_readable(tmp_path: Path, capsys: Any) -> None:
    init_project(tmp_path)
    yaml = tmp_path / "templates_src" / "welcome" / "template.yaml"
    yaml.write_text(
        yaml.read_text(encoding="utf-8").replace("msgParamsMap:", "msgParamsMap:\n  checkIn: {type: JwtQrCode}"),
        encoding="utf-8",
    )
    body = tmp_path / "templates_src" / "welcome" / "body.html"
    body.write_text(body.read_text(encoding="utf-8").replace("</p>", ' <img src="{checkIn}" alt="QR"></p>', 1))
    request = {"msgParams": {"checkIn": {"type": "JwtQrCode", "value": {"payload": {"a": 1}, "secret": "s"}}}}
    sent = tmp_path / "send.json"
    sent.write_text(json.dumps(request), encoding="utf-8")
    code, out, err = _run(capsys, "-C", str(tmp_path), "check-params", "welcome", str(sent))
    text = out + err
    assert code == 1, text
    assert "missing" in text and "mi<hidden>" not in text and HIDDEN + HIDDEN not in text
