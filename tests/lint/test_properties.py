"""Property tests: whatever the sources, the linter returns findings (or none) and never raises."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmsg_authoring.compile import compile_template
from kmsg_authoring.source.config import load_config
from kmsg_authoring.errors import KmsgError
from kmsg_authoring.lint import Problem, lint_template
from kmsg_authoring.model import TOKEN_TYPES, USER_FIELDS
from tests.conftest import corpus_files

FRAGMENTS = [
    "<",
    ">",
    "</",
    "/>",
    "{",
    "}",
    "{{",
    "}}",
    ".",
    " ",
    "\n",
    '"',
    "'",
    "=",
    "&",
    ";",
    "%7B",
    "%7D",
    "&#123;",
    "&#125;",
    "&amp;#123;",
    "{recipient.firstName}",
    "{recipient.firstname}",
    "{recipient}",
    "{joinLink}",
    "{unsubLink}",
    "{qr}",
    "{eventName.x}",
    "{a..b}",
    "{ x }",
    "{}",
    "*|UNSUB|*",
    "<p>",
    "</p>",
    "<div>",
    "</div>",
    "<table><tr><td>",
    "</td></tr></table>",
    '<a href="',
    '">',
    "</a>",
    '<img src="',
    '<img src="{qr}">',
    "<style>",
    "</style>",
    "<script>",
    "</script>",
    "<!--",
    "-->",
    "<!--[if mso]>",
    "<![endif]-->",
    '<html lang="en">',
    "<html>",
    "<body>",
    "</body>",
    "</html>",
    'style="display:none"',
    'style="position:absolute;display:flex"',
    "javascript:",
    "http://",
    "<form>",
    "<b>",
    "</i>",
    "<br/>",
    '<v:roundrect href="{joinLink}">',
    "\x00",
    "é",
    "\u2028",
]
tokens_map = st.dictionaries(
    st.one_of(st.sampled_from(["recipient", "joinLink", "unsubLink", "qr", "eventName"]), st.text(max_size=8)),
    st.fixed_dictionaries({"type": st.sampled_from([*TOKEN_TYPES, "user", ""])}),
    max_size=6,
)
reference = st.builds(
    lambda n, f: "{" + n + ("." + f if f else "") + "}",
    st.sampled_from(["recipient", "joinLink", "x"]),
    st.sampled_from([None, *USER_FIELDS, "mail"]),
)
metadata = st.fixed_dictionaries(
    {
        "name": st.text(max_size=20),
        "subject": st.one_of(st.text(max_size=90), reference),
        "toAttributePath": st.one_of(reference, st.text(max_size=20)),
        "msgParamsMap": tokens_map,
    },
    optional={
        "from": st.text(max_size=30),
        "cc": st.text(max_size=30),
        "bcc": st.text(max_size=30),
        "status": st.sampled_from(["enabled", "active", ""]),
        "unsubscribeGroups": st.lists(st.sampled_from(["news", "", "news", "events"]), max_size=4),
        "customHeaders": st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=3),
        "fromName": st.text(max_size=20),
    },
)
body_text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=60).map("".join)


class Sandbox:
    """One project folder rewritten for every example."""

    def __init__(self, root: Path) -> None:
        self.folder = root / "templates_src" / "t"
        self.folder.mkdir(parents=True)
        (root / "kmsg.toml").write_text("", encoding="utf-8")
        self.config = load_config(root)

    def lint(self, meta: dict[str, object], body: str, jinja: bool) -> list[Problem] | None:
        doc = dict(meta, kmsg={"jinja": jinja})
        (self.folder / "template.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
        (self.folder / "body.html").write_text(body, encoding="utf-8", errors="surrogatepass")
        try:
            compiled = compile_template(self.config, "t")
        except (KmsgError, UnicodeError):
            return None  # the compiler's to report (KM001); not the linter's
        problems = lint_template(compiled, self.config)
        assert all(isinstance(p, Problem) and p.location.line >= 1 for p in problems)
        return problems


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    return Sandbox(tmp_path_factory.mktemp("props"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(meta=metadata, body=body_text, jinja=st.booleans())
def test_random_sources_never_crash_the_linter(
    sandbox: Sandbox, meta: dict[str, object], body: str, jinja: bool
) -> None:
    sandbox.lint(meta, body, jinja)


def _mutate(text: str, data: st.DataObject) -> str:
    for _ in range(data.draw(st.integers(1, 6), label="mutations")):
        i = data.draw(st.integers(0, len(text)), label="at")
        j = data.draw(st.integers(i, min(len(text), i + 400)), label="to")
        op = data.draw(st.sampled_from(["delete", "insert", "duplicate"]), label="op")
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "insert":
            text = text[:i] + data.draw(st.sampled_from(FRAGMENTS), label="fragment") + text[i:]
        else:
            text = text[:j] + text[i:j] + text[j:]
    return text


CORPUS = corpus_files()
MINIMAL_META: dict[str, object] = {
    "name": "Corpus",
    "subject": "Hi {recipient.firstName}",
    "toAttributePath": "{recipient.email}",
    "msgParamsMap": {
        "recipient": {"type": "User"},
        "joinLink": {"type": "MagicLink"},
        "unsubLink": {"type": "UnsubscribeUri"},
        "qr": {"type": "JwtQrCode"},
    },
    "unsubscribeGroups": ["news"],
}


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS, reason="../shared/corpus is absent (it ships beside the repository in CI only)")
@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_corpus_files_never_crash_the_linter(sandbox: Sandbox, path: Path, data: st.DataObject) -> None:
    original = path.read_text(encoding="utf-8")
    sandbox.lint(MINIMAL_META, _mutate(original, data), jinja=False)
