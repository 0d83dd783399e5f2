"""contract, check-params, build's contract files and contract --diff, run the way a user runs them."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from kmsg_authoring.cli import main

Maker = Callable[[dict[str, str | bytes]], Path]

YAML = """\
name: Event Invitation
subject: "You're invited to {eventName}"
toAttributePath: "{recipient.email}"
msgParamsMap:
  recipient: {type: User}
  eventName: {type: String}
  joinLink: {type: MagicLink}
  checkIn: {type: JwtQrCode}
"""
BODY = """\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Invitation</title></head>
<body><p>Hi {recipient.firstName}, join {eventName}.</p><p><a href="{joinLink}">Join</a></p>
<p><img src="{checkIn}" alt="Check-in code" width="200" height="200"></p>
<p><img src="cid:logo" alt="Acme" width="100" height="40"></p></body></html>
"""
VALID = {
    "recipient": {"type": "User", "value": "Message.userId"},
    "eventName": {"type": "String", "value": "Annual Conference 2025"},
    "joinLink": {
        "type": "MagicLink",
        "value": {"baseURL": "https://events.example.com/join", "expiry": 48, "privileges": "actionslimit:2"},
    },
    "checkIn": {"type": "JwtQrCode", "value": {"payload": {"eventId": "12345"}, "secret": "fixture-secret-123"}},
}


@pytest.fixture
def project(make_project: Maker) -> Path:
    return make_project({"templates_src/invite/template.yaml": YAML, "templates_src/invite/body.html": BODY})


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_build_writes_each_contract_and_lists_it_in_the_manifest(project: Path, capsys: Any) -> None:
    code, out, err = run(capsys, "-C", str(project), "build")
    assert code == 0, out + err
    schema = json.loads((project / "build/contracts/invite.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["x-kmsg"]["inlineImages"] == ["logo"]
    assert schema["required"] == ["recipient", "eventName", "joinLink", "checkIn"]
    manifest = json.loads((project / "build/manifest.json").read_text(encoding="utf-8"))
    assert manifest["templates"]["invite"]["contract"] == "contracts/invite.schema.json"
    # A template that no longer builds loses its contract with its other outputs.
    (project / "templates_src/invite/body.html").write_text(BODY.replace("{eventName}", "{eventNam}"), "utf-8")
    assert run(capsys, "-C", str(project), "build")[0] == 1
    assert not (project / "build/contracts/invite.schema.json").exists()


def test_build_writes_the_contract_of_an_unchanged_template_left_without_one(project: Path, capsys: Any) -> None:
    assert run(capsys, "-C", str(project), "build")[0] == 0
    (project / "build/contracts/invite.schema.json").unlink()
    assert run(capsys, "-C", str(project), "build")[0] == 0
    assert (project / "build/contracts/invite.schema.json").is_file()


def test_contract_prints_json_schema_markdown_and_typescript(project: Path, capsys: Any) -> None:
    code, out, _ = run(capsys, "-C", str(project), "contract", "invite")
    assert code == 0
    assert json.loads(out) == json.loads(run(capsys, "-C", str(project), "contract")[1])
    code, out, _ = run(capsys, "-C", str(project), "contract", "invite", "--format", "markdown")
    assert "| `joinLink` | MagicLink | an auto-login URL made at send time" in out
    assert "| `recipient` | User |" in out and "| email, firstName |" in out
    assert "contentId `logo`" in out
    code, out, _ = run(capsys, "-C", str(project), "contract", "--format", "typescript")
    assert "export interface InviteMsgParams {" in out
    assert "  joinLink: MagicLinkToken;" in out
    assert 'export type UserToken = {\n  type: "User";\n  value: "Message.userId" | string;\n};' in out
    assert 'export const InviteInlineImages = ["logo"] as const;' in out


@pytest.mark.skipif(shutil.which("tsc") is None, reason="tsc (Debian's node-typescript) is not installed")
def test_the_typescript_types_compile_and_type_a_real_request(project: Path, capsys: Any, tmp_path: Path) -> None:
    _code, out, _ = run(capsys, "-C", str(project), "contract", "--format", "typescript")
    ts = tmp_path / "contract.ts"
    good = f"const params: InviteMsgParams = {json.dumps(VALID)};\n"
    ts.write_text(out + good, encoding="utf-8")
    done = subprocess.run(
        ["tsc", "--strict", "--noEmit", str(ts)], check=False, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout
    bad = {**VALID, "joinLink": {"type": "MagicLink", "value": {"expiry": 48}}}
    ts.write_text(out + f"const params: InviteMsgParams = {json.dumps(bad)};\n", encoding="utf-8")
    done = subprocess.run(
        ["tsc", "--strict", "--noEmit", str(ts)], check=False, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0 and "baseURL" in done.stdout


def test_check_params_reports_a_missing_token_and_a_wrong_type_with_json_pointers(
    project: Path, capsys: Any, tmp_path: Path
) -> None:
    params = {k: v for k, v in VALID.items() if k != "joinLink"}
    params["eventName"] = {"type": "String", "value": 2025}
    fixture = tmp_path / "send.json"
    body = {
        "receiverType": "user",
        "userIds": ["a@example.com"],
        "appGuid": "g",
        "templateId": "t",
        "type": "email",
        "msgParams": params,
    }
    fixture.write_text(json.dumps(body), encoding="utf-8")
    code, out, _ = run(capsys, "-C", str(project), "check-params", "invite", str(fixture))
    assert code == 1
    assert out.splitlines() == [
        (
            f"{fixture}: /attachments: no attachment with contentId 'logo': the body shows cid:logo; attach the "
            "image with disposition 'inline' and that contentId"
        ),
        f"{fixture}: /msgParams/eventName/value: 2025 is not a string",
        f"{fixture}: /msgParams/joinLink: missing token 'joinLink' (the template declares a MagicLink token)",
        f"{fixture}: 3 problem(s) against the contract of 'Event Invitation' (message/send request)",
    ]
    assert "fixture-secret-123" not in out


def test_check_params_reads_msgparams_from_stdin_and_passes_a_valid_one(
    project: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(VALID)))
    code, out, _ = run(capsys, "-C", str(project), "check-params", "invite", "-")
    assert code == 0, out
    assert out.strip() == "<stdin>: ok: the msgParams matches the contract of 'Event Invitation'"
    wrong = {**VALID, "joinLink": {"type": "String", "value": "https://x.example"}}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(wrong)))
    code, out, _ = run(capsys, "-C", str(project), "check-params", "invite", "-")
    assert code == 1
    assert "<stdin>: /joinLink/type: 'String' but the template declares 'MagicLink'" in out


def test_check_params_against_an_exported_contract_file_outside_the_project(
    project: Path, capsys: Any, tmp_path: Path
) -> None:
    assert run(capsys, "-C", str(project), "build")[0] == 0
    caller = tmp_path / "caller"
    caller.mkdir()
    shutil.copy(project / "build/contracts/invite.schema.json", caller / "invite.schema.json")
    (caller / "params.json").write_text(json.dumps(VALID), encoding="utf-8")
    (caller / "broken.json").write_text('{"recipient": ', encoding="utf-8")
    code, out, err = run(
        capsys,
        "-C",
        str(caller),
        "check-params",
        str(caller / "invite.schema.json"),
        str(caller / "params.json"),
        str(caller / "broken.json"),
    )
    assert code == 1
    assert "params.json: ok" in out
    assert f"{caller / 'broken.json'}:1:15: not JSON: Expecting value" in err


def test_check_params_with_an_unknown_template_is_a_usage_error(project: Path, capsys: Any, tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text("{}", encoding="utf-8")
    code, _, err = run(capsys, "-C", str(project), "check-params", "nope", str(tmp_path / "p.json"))
    assert code == 2 and "no template 'nope'" in err


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
        timeout=60,
    )


def test_contract_diff_classifies_the_changes_since_a_revision(project: Path, capsys: Any) -> None:
    _git(project, "init", "-q", "-b", "main")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "base")
    (project / "templates_src/invite/template.yaml").write_text(
        YAML.replace("  checkIn: {type: JwtQrCode}\n", "  venue: {type: String}\n"), encoding="utf-8"
    )
    (project / "templates_src/invite/body.html").write_text(
        BODY.replace('<img src="{checkIn}"', '<img src="https://x.example/qr.png"').replace(
            "join {eventName}.", "join {eventName} at {venue}."
        ),
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "-C", str(project), "contract", "--diff", "main")
    assert code == 1
    assert out.splitlines() == [
        "contract changes since main:",
        "  invite (Event Invitation): changed",
        "    breaking (refused by publish): token 'venue' added (String): callers must send it",
        "    compatible: token 'checkIn' removed: callers may stop sending it",
        "1 breaking (0 allowed by kmsg: contract: allow_breaking), 1 compatible",
    ]
    with (project / "templates_src/invite/template.yaml").open("a", encoding="utf-8") as fh:
        fh.write("kmsg: {contract: {allow_breaking: [venue]}}\n")
    code, out, _ = run(capsys, "-C", str(project), "contract", "--diff", "main")
    assert code == 0, out
    assert "breaking (allowed): token 'venue' added" in out
    code, _, err = run(capsys, "-C", str(project), "contract", "--diff", "no-such-branch")
    assert code == 2 and "'no-such-branch' is not a revision" in err
    # The working tree and the repository are as they were: nothing checked out, no worktree left behind.
    status = subprocess.run(
        ["git", "worktree", "list"], cwd=project, check=False, capture_output=True, text=True, timeout=60
    )
    assert len(status.stdout.strip().splitlines()) == 1


def test_a_misspelled_contract_setting_is_an_error_at_its_line(make_project: Maker, capsys: Any) -> None:
    root = make_project(
        {
            "templates_src/invite/template.yaml": YAML + "kmsg: {contract: {allow_breakin: [venue]}}\n",
            "templates_src/invite/body.html": BODY,
        }
    )
    code, out, err = run(capsys, "-C", str(root), "build")
    assert code == 1
    assert (
        "templates_src/invite/template.yaml:9:19: KM001 unknown kmsg setting 'allow_breakin' "
        "(did you mean 'allow_breaking'?)"
    ) in out + err


def test_contract_diff_builds_the_revision_as_its_own_project(
    project: Path, capsys: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A kmsg.toml above the temporary folder must not become the revision's project settings.
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "kmsg.toml").write_text("[build]\ninliner = 'nope'\n", encoding="utf-8")
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    _git(project, "init", "-q", "-b", "main")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "base")
    code, out, err = run(capsys, "-C", str(project), "contract", "--diff", "main")
    assert code == 0, out + err
    assert out.splitlines() == [
        "contract changes since main:",
        "  none",
        "0 breaking (0 allowed by kmsg: contract: allow_breaking), 0 compatible",
    ]
