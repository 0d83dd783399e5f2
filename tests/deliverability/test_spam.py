"""`kmsg-author spam`: messages built as the API sends them, scored by a real spamd, hits at their source lines."""

from __future__ import annotations

import email
import json
from pathlib import Path

import pytest

from kmsg_authoring.cli import main
from kmsg_authoring.errors import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
from kmsg_authoring.render.renderer import Rendering
from kmsg_authoring.review import sarules, spamd
from kmsg_authoring.review.spam import message_bytes, score_templates
from kmsg_authoring.source.config import load_config
from tests.deliverability.conftest import requires_spamd
from tests.lint.conftest import template_files, write

SPAMMY_BODY = """<p>Dear Friend, CLICK HERE to get cheap VIAGRA and CIALIS with 100% FREE shipping!!!</p>
<p>You have been selected as a WINNER. Act now! Earn $$$ from home, guaranteed.</p>
<p><a href="http://192.168.1.1/claim">http://www.paypal.com/verify</a></p>"""
SENDER = "from: events@events.example.com\nfromName: Acme Events\n"


def _project(root: Path, toml: str = "[deliverability]\nmax_spam_score = 5\n") -> Path:
    files = template_files(
        SPAMMY_BODY, subject="FREE VIAGRA!!! Make MONEY fast, 100% GUARANTEED", slug="spammy", extra=SENDER
    )
    files.update(template_files("<p>Hi {recipient.firstName}, your seat is booked.</p>", slug="plain", extra=SENDER))
    return write(root, {**files, "kmsg.toml": toml})


def test_the_message_is_complete_as_the_api_sends_it() -> None:
    payload = {
        "from": "events@events.example.com",
        "cc": "desk@events.example.com",
        "customHeaders": {"List-Unsubscribe": "<https://events.example.com/u>"},
    }
    rendering = Rendering("u1", "Hi Jane", "Acme Events", "events@events.example.com", "jane@example.com", "<p>é</p>")
    msg = email.message_from_bytes(message_bytes(payload, rendering))
    assert msg["From"] == "Acme Events <events@events.example.com>"
    assert msg["To"] == "jane@example.com" and msg["Cc"] == "desk@events.example.com"
    assert msg["Subject"] == "Hi Jane" and msg["Date"] and msg["Message-ID"].endswith("@events.example.com>")
    assert msg["List-Unsubscribe"] == "<https://events.example.com/u>"
    assert msg.get_content_type() == "text/html"
    assert msg.get_payload(decode=True).decode("utf-8").strip() == "<p>é</p>"


def test_the_report_is_read_row_by_row() -> None:
    answer = (
        b"SPAMD/1.1 0 EX_OK\r\nContent-length: 300\r\nSpam: True ; 7.5 / 5.0\r\n\r\n"
        b" pts rule name              description\n---- ---------------------- -----------\n"
        b" 2.7 DEAR_FRIEND            BODY: Dear Friend? That's not very dear!\n"
        b"-0.0 NO_RELAYS              Informational: message was not relayed via\n"
        b"                            SMTP\n"
    )
    parsed = spamd.parse_answer(answer)
    assert (parsed.score, parsed.threshold, parsed.is_spam) == (7.5, 5.0, True)
    assert [(r.points, r.rule) for r in parsed.rows] == [(2.7, "DEAR_FRIEND"), (-0.0, "NO_RELAYS")]
    assert parsed.rows[1].description == "Informational: message was not relayed via SMTP"


def test_an_error_answer_is_an_error_not_a_pass() -> None:
    with pytest.raises(Exception, match="instead of a report"):
        spamd.parse_answer(b"SPAMD/1.0 76 Bad header line: x\r\n")


@pytest.mark.parametrize(
    ("perl", "text", "found"),
    [
        pytest.param(r"/^\s*Dear Friend\b/i", "dear friend, hi", "dear friend", id="flags"),
        pytest.param(r"m{^https?://[\d.]+(?:[:/?\#]|$)}i", "http://10.0.0.1/x", "http://10.0.0.1/", id="m-braces"),
        pytest.param(r"/(?<w>ab)\k<w>\z/", "xabab", "abab", id="named-groups-and-z"),
    ],
)
def test_perl_patterns_run_in_python(perl: str, text: str, found: str) -> None:
    pattern = sarules.perl_regex(perl)
    assert pattern is not None
    m = pattern.search(text)
    assert m is not None and m.group(0) == found


def test_a_meta_rule_is_placed_where_a_rule_it_combines_matched() -> None:
    rules = {
        "SHOUT": sarules.RuleDef("meta", None, "__A && !__B"),
        "__A": sarules.RuleDef("body", None, r"/winner/i"),
        "__B": sarules.RuleDef("header", "Subject", r"/never/"),
    }
    texts = sarules.Texts("Hello", "intro\nYou are a WINNER", "", [], {"Subject": "Hello"})
    m = sarules.find_match(rules, "SHOUT", texts)
    assert m is not None and (m.part, m.text) == ("body", "WINNER") and texts.body[m.start : m.end] == "WINNER"


def test_missing_spamassassin_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    monkeypatch.setattr(spamd, "_SBIN", ())
    assert main(["-C", str(root), "spam"]) == EXIT_USAGE
    assert "apt-get install spamassassin" in capsys.readouterr().err


def test_a_named_spamd_that_does_not_answer_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path, '[deliverability]\nspamd = "127.0.0.1:9"\n')
    assert main(["-C", str(root), "spam"]) == EXIT_USAGE
    assert "no spamd answers at 127.0.0.1:9" in capsys.readouterr().err


@requires_spamd
def test_the_spammy_template_exits_1_over_the_limit_with_its_hits_located(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """End to end as a user runs it: the command starts its own spamd, scores, and stops it."""
    root = _project(tmp_path)
    assert main(["-C", str(root), "spam", "--format", "json"]) == EXIT_FAILURE
    report = json.loads(capsys.readouterr().out)
    by_template = {m["template"]: m for m in report["messages"]}
    spammy, plain = by_template["spammy"], by_template["plain"]
    assert spammy["over_limit"] and spammy["score"] > 5 and not plain["over_limit"]
    hits = {h["rule"]: h for h in spammy["hits"]}
    assert hits["DEAR_FRIEND"]["points"] > 0 and "Dear Friend" in hits["DEAR_FRIEND"]["description"]
    # A body rule at the body line that says it; a subject rule at the subject in template.yaml.
    assert hits["DEAR_FRIEND"]["location"] == {"path": "templates_src/spammy/body.html", "line": 5, "col": 1}
    assert hits["DEAR_FRIEND"]["text"] == "Dear Friend"
    subject_hits = [h for h in spammy["hits"] if h["location"] and h["location"]["path"].endswith("template.yaml")]
    assert subject_hits and all(h["location"]["line"] == 2 for h in subject_hits)


@requires_spamd
def test_the_examples_score_under_the_threshold(spamd_address: tuple[str, int]) -> None:
    config = load_config(Path(__file__).resolve().parents[2])
    result = score_templates(config, address=spamd_address)
    assert result.failures == {}
    assert {m.template for m in result.messages} == set(result.templates) and len(result.templates) >= 4
    for m in result.messages:
        assert m.threshold == 5.0 and m.score < m.threshold, (m.template, m.score, m.hits)
        assert all(h.description for h in m.hits)
    assert result.exit_code == EXIT_OK


@requires_spamd
def test_max_spam_score_decides_the_exit(tmp_path: Path, spamd_address: tuple[str, int]) -> None:
    strict = load_config(_project(tmp_path / "a", "[deliverability]\nmax_spam_score = -100\n"))
    result = score_templates(strict, ["plain"], address=spamd_address)
    assert result.messages and result.exit_code == EXIT_FAILURE
    lenient = load_config(_project(tmp_path / "b", "[deliverability]\nmax_spam_score = 100\n"))
    assert score_templates(lenient, ["spammy"], address=spamd_address).exit_code == EXIT_OK


@requires_spamd
def test_markdown_lists_every_message_and_hit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path, "[deliverability]\nmax_spam_score = 5\n")
    with spamd.spamd_server(children=1) as (host, port):
        (root / "kmsg.toml").write_text(f'[deliverability]\nmax_spam_score = 5\nspamd = "{host}:{port}"\n')
        assert main(["-C", str(root), "spam", "spammy", "--format", "markdown"]) == EXIT_FAILURE
    out = capsys.readouterr().out
    assert "| spammy | default |" in out and "**over**" in out and "| DEAR_FRIEND |" in out
