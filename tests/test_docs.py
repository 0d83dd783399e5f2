"""The documentation site builds with `mkdocs build --strict`, with one page per lint rule and per command,
and the kmsg.toml reference written from the declarations its readers check tables against."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest

from kmsg_authoring.lint.registry import catalog
from kmsg_authoring.lint.settings import resolve, resolve_clients
from kmsg_authoring.review.snapshot import snapshot_settings
from kmsg_authoring.source.config import SECTIONS, load_config
from kmsg_authoring.source.config_schema import Table, UndescribedKey
from kmsg_authoring.source.scaffold import init_project
from scripts.mkdocs_hooks import config_example, config_sections
from tests.conftest import REPO


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    return out


def test_every_rule_has_its_page_written_from_its_docstring(site: Path) -> None:
    for code, rule in catalog().items():
        page = site / "rules" / code / "index.html"
        assert page.is_file(), code
        html = page.read_text(encoding="utf-8")
        text = unescape(re.sub(r"<[^>]+>", "", html))
        assert rule.name in text and rule.summary.replace("`", "") in text, code
        for title in rule.sections:
            assert re.search(rf"<h2[^>]*>{re.escape(title)}", html), (code, title)


def test_every_command_has_its_page_with_its_help(site: Path) -> None:
    from kmsg_authoring.cli import COMMANDS

    for module in COMMANDS:
        name = module.replace("_", "-")
        page = site / "commands" / name / "index.html"
        assert page.is_file(), name
        assert f"usage: kmsg-author {name}" in unescape(page.read_text(encoding="utf-8")), name


def test_the_readme_stays_short() -> None:
    """The README is the front door: what the tool is, the two commands, a tour and links (< 250 lines)."""
    assert len((REPO / "README.md").read_text(encoding="utf-8").splitlines()) < 250


def test_every_section_and_key_of_kmsg_toml_is_on_the_configuration_page(site: Path) -> None:
    from lxml import html

    page = html.fromstring((site / "configuration" / "index.html").read_bytes())
    tables: dict[str, list[list[str]]] = {}
    for h2 in page.iter("h2"):
        table = h2.getnext()
        while table is not None and table.tag not in ("table", "h2"):
            table = table.getnext()
        rows = table.findall(".//tbody/tr") if table is not None and table.tag == "table" else []
        tables[h2.text_content().rstrip("¶").strip()] = [[td.text_content() for td in tr] for tr in rows]
    for section in config_sections():
        rows = tables.pop(f"[{section.name}]")
        assert [r[0] for r in rows] == list(section.names()), section.name
        for row, key in zip(rows, section.keys, strict=True):
            assert row[4] == key.help.replace("`", ""), (section.name, key.name)
            assert all(f'"{c}"' in row[3] for c in key.choices), (section.name, key.name)
    assert list(tables) == ["Example"]
    assert "[environments.staging]" in page.text_content()


def test_every_section_the_reader_accepts_is_declared_once() -> None:
    names = [s.name for s in config_sections()]
    assert len(names) == len(set(names))
    assert [n.split(".")[0] for n in names] == sorted((n.split(".")[0] for n in names), key=SECTIONS.index)
    assert {n.split(".")[0] for n in names} == set(SECTIONS)


def _read_everything(root: Path) -> None:
    """Every reader of kmsg.toml, over the project at root."""
    config = load_config(root)
    resolve(config.lint)
    resolve_clients(config.lint)
    snapshot_settings(config)


def test_the_example_is_read_key_by_key_and_every_key_read_is_described(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The readers ask exactly for the declared keys: one read without a description raises UndescribedKey,
    one description no reader asks for is missing from `asked`."""
    asked: set[tuple[str, str]] = set()
    read = Table.__getitem__

    def spy(self: Table, name: str) -> object:
        asked.add((self.section.name, name))
        return read(self, name)

    monkeypatch.setattr(Table, "__getitem__", spy)
    (tmp_path / "kmsg.toml").write_text(config_example(), encoding="utf-8")
    _read_everything(tmp_path)
    assert asked == {(s.name, k.name) for s in config_sections() for k in s.keys}
    config = load_config(tmp_path)
    assert config.locales == ("en", "fr") and config.environment("staging").app_guid == "..."
    assert config.deliverability.spamd == "127.0.0.1:783" and config.brand["company"] == "Example Events"


def test_a_key_read_but_not_described_is_refused() -> None:
    build = next(s for s in config_sections() if s.name == "build")
    with pytest.raises(UndescribedKey, match=r"\[build\] inline_everything is read but not described"):
        Table(build, {"inline_everything": True}).value("inline_everything")


def test_init_writes_only_documented_keys(tmp_path: Path) -> None:
    """The kmsg.toml of `kmsg-author init`, its commented-out settings included, uses declared keys only."""
    init_project(tmp_path / "p")
    declared = {s.name: s for s in config_sections()}
    section, seen = None, 0
    for line in (tmp_path / "p" / "kmsg.toml").read_text(encoding="utf-8").splitlines():
        line = line.removeprefix("# ")
        header = re.fullmatch(r"\[([\w.-]+)\]\s*(#.*)?", line)
        if header:
            parts = re.sub(r"^environments\.[\w-]+", "environments.<name>", header.group(1)).split(".")
            name = max(
                (".".join(parts[:i]) for i in range(1, len(parts) + 1) if ".".join(parts[:i]) in declared),
                key=len,
                default="",
            )
            rest = parts[len(name.split(".")) :]
            assert name in declared and (not rest or rest[0] in declared[name].names()), line
            section = None if rest or declared[name].free else declared[name]
            seen += 1
        elif (key := re.match(r"([a-z_]+) = ", line)) and section is not None:
            assert key.group(1) in section.names(), (section.name, line)
            seen += 1
    assert seen >= 6
