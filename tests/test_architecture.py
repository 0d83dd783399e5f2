"""The package's imports follow the data flow, and API facts are spelled out only in model/.

Stages, earliest first (a module may import its own stage and earlier ones, never a later one;
stages of the same rank are siblings and do not import each other):

    0  model/, errors.py, contract/      API facts and the API's field schemas, errors and exit codes,
                                         the token contract (msgParams schema, a template's contract,
                                         its formats)
    1  source/                           project files in, configuration and template sources out
    2  compile/                          template sources in, compiled templates out
    3  lint/ | render/                   compiled template in, findings out | + sample, what a recipient sees
    4  project/                          compile then lint then write outputs, the build cache; the
                                         project-wide lint; the project's contracts, now or at a Git
                                         revision
    5  review/ | api/                    rendered emails in browser engines (snapshots, a11y) | the API client
    6  preview/ | publish/               the live preview (with snapshot thumbnails) | remote templates out
    7  sandbox/                          the local Messaging API: model and render only, never the compiler
    8  cli/, __main__.py                 argument parsing and dispatch

Every import counts: module level, inside functions (which hide cycles from Python) and under
TYPE_CHECKING.
"""

from __future__ import annotations

import ast
import functools
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pytest

from kmsg_authoring.model import TOKEN_TYPES

PACKAGE = Path(__file__).resolve().parent.parent / "kmsg_authoring"
ROOT = "kmsg_authoring"

# Each stage: its rank and the package components (folders or root modules) it is made of.
STAGES: dict[str, tuple[int, set[str]]] = {
    "facts": (0, {"", "model", "errors", "contract"}),
    "source": (1, {"source"}),
    "compile": (2, {"compile"}),
    "lint": (3, {"lint"}),
    "render": (3, {"render"}),
    "project": (4, {"project"}),
    # review/ puts rendered emails in front of browser engines; preview/ shows its thumbnails, so comes after.
    "review": (5, {"review"}),
    "api": (5, {"api"}),
    "preview": (6, {"preview"}),
    "publish": (6, {"publish"}),
    "sandbox": (7, {"sandbox"}),
    "cli": (8, {"cli", "__main__"}),
}
RANKS = {part: rank for rank, parts in STAGES.values() for part in parts}
STAGE_OF = {part: name for name, (_, parts) in STAGES.items() for part in parts}
# The sandbox answers like the real API from the facts and the renderer alone: it never runs the
# toolkit's compiler, linter or build.
SANDBOX_MAY_IMPORT = {"facts", "render", "sandbox"}


def module_name(path: Path) -> str:
    """Dotted module name of a file of the package."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_sources() -> dict[str, str]:
    """Every module of the package: name -> source text."""
    return {module_name(p): p.read_text(encoding="utf-8") for p in sorted(PACKAGE.rglob("*.py"))}


@functools.cache
def _parse(source: str) -> ast.Module:
    return ast.parse(source)


def imports(module: str, source: str, known: Iterable[str]) -> Iterator[tuple[str, int]]:
    """(imported module of the package, line) for every import statement anywhere in a module."""
    known = set(known)
    is_package = module in known and any(k.startswith(module + ".") for k in known)
    for node in ast.walk(_parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == ROOT:
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != ROOT:
                continue
            for alias in node.names:
                # `from kmsg_authoring.lint import rules` imports the module kmsg_authoring.lint.rules.
                sub = f"{target}.{alias.name}"
                yield (sub if sub in known else target), node.lineno


def component(module: str) -> str:
    """A module's first component below the package ("" for the package itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def violations(sources: Mapping[str, str]) -> list[str]:
    """Every import against the declared order, as `importer:line imports imported (why)`."""
    found = []
    for module, source in sources.items():
        here = component(module)
        for target, line in imports(module, source, sources):
            there = component(target)
            where = f"{module}:{line} imports {target}"
            if here not in RANKS or there not in RANKS:
                found.append(f"{where} ({here if here not in RANKS else there!r} has no stage in STAGES)")
            elif STAGE_OF[here] == STAGE_OF[there]:
                continue
            elif STAGE_OF[here] == "sandbox" and STAGE_OF[there] not in SANDBOX_MAY_IMPORT:
                found.append(f"{where} (the sandbox depends on model and render only)")
            elif RANKS[there] > RANKS[here]:
                found.append(f"{where} (a later stage)")
            elif RANKS[there] == RANKS[here]:
                found.append(f"{where} (a sibling stage)")
    return sorted(set(found))


def cycles(sources: Mapping[str, str]) -> list[list[str]]:
    """Groups of modules that import each other, directly or through others (strongly connected)."""
    graph = {m: sorted({t for t, _ in imports(m, s, sources) if t in sources and t != m}) for m, s in sources.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in graph:
        if node not in index:
            visit(node)
    return groups


def test_every_import_follows_the_declared_stage_order() -> None:
    assert violations(package_sources()) == []


def test_the_package_has_no_import_cycle() -> None:
    assert cycles(package_sources()) == []


def test_every_stage_has_a_place_in_the_order() -> None:
    parts = {component(m) for m in package_sources()}
    assert parts <= set(RANKS), sorted(parts - set(RANKS))


@pytest.mark.parametrize(
    ("module", "source", "why"),
    [
        pytest.param(
            "kmsg_authoring.lint.project",
            "def f():\n    from kmsg_authoring.project.build import build_project\n",
            "a later stage",
            id="lint-imports-build-inside-a-function",
        ),
        pytest.param(
            "kmsg_authoring.source.scaffold",
            "from kmsg_authoring.project.build import write_atomic\n",
            "a later stage",
            id="source-imports-build",
        ),
        pytest.param(
            "kmsg_authoring.sandbox.service",
            "from kmsg_authoring.compile.tokens import find_tokens\n",
            "the sandbox depends on model and render only",
            id="sandbox-imports-compile",
        ),
        pytest.param(
            "kmsg_authoring.render.renderer",
            "from kmsg_authoring.lint import Problem\n",
            "a sibling stage",
            id="render-imports-lint",
        ),
        pytest.param(
            "kmsg_authoring.lint.x", "from ..project.build import BuildReport\n", "a later stage", id="relative-import"
        ),
        pytest.param(
            "kmsg_authoring.compile.x",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from kmsg_authoring.publish import plan\n",
            "a later stage",
            id="type-checking-import",
        ),
    ],
)
def test_a_backwards_import_is_caught(module: str, source: str, why: str) -> None:
    sources = {**package_sources(), module: source}
    found = [v for v in violations(sources) if v.startswith(f"{module}:")]
    assert len(found) == 1 and found[0].endswith(f"({why})"), found


def test_a_cycle_is_caught() -> None:
    sources = {
        **package_sources(),
        "kmsg_authoring.lint.a": "import kmsg_authoring.lint.b\n",
        "kmsg_authoring.lint.b": "def f():\n    from kmsg_authoring.lint import a\n",
    }
    assert ["kmsg_authoring.lint.a", "kmsg_authoring.lint.b"] in cycles(sources)


def _string_constants(source: str) -> Iterator[tuple[str, int]]:
    for node in ast.walk(_parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value, node.lineno


def test_token_type_names_are_spelled_out_only_in_model() -> None:
    """A string equal to a token type's name appears in model/ only; everywhere else asks TokenType."""
    found = [
        f"{module}:{line}: {value!r}"
        for module, source in package_sources().items()
        if not (module == f"{ROOT}.model" or module.startswith(f"{ROOT}.model."))
        for value, line in _string_constants(source)
        if value in TOKEN_TYPES
    ]
    assert found == []


def test_every_package_says_what_comes_in_and_what_goes_out() -> None:
    """Each folder's docstring opens with one line: what comes in, what goes out."""
    missing = []
    for init in sorted(PACKAGE.rglob("__init__.py")):
        if init.parent == PACKAGE:
            continue
        doc = ast.get_docstring(_parse(init.read_text(encoding="utf-8"))) or ""
        first = doc.split("\n", 1)[0]
        if not re.search(r"\bin\b.*\bout\b", first):
            missing.append(f"{init.relative_to(PACKAGE.parent)}: {first!r}")
    assert missing == []


def test_the_sandbox_sends_a_message_without_loading_the_compiler(tmp_path: Path) -> None:
    """What the sandbox runs (not only what it names) stays out of compile/, lint/ and the build."""
    script = textwrap.dedent("""
        import sys
        from kmsg_authoring.sandbox import make_ks, partner_from_ks
        from kmsg_authoring.sandbox.service import Service
        from kmsg_authoring.sandbox.store import Store

        service = Service(Store(sys.argv[1]))
        partner = partner_from_ks(make_ks(1))
        template = service.call("email-template/add", partner, {
            "appGuid": "app", "name": "t", "subject": "Hi {r.firstName}", "body": "<p>{when}</p>",
            "toAttributePath": "{r.email}",
            "msgParamsMap": {"r": {"type": "User"}, "when": {"type": "Dynamic"}}})
        bulk = service.call("message/send", partner, {
            "receiverType": "user", "userIds": ["jane@example.com"], "appGuid": "app",
            "templateId": template["id"], "type": "email",
            "msgParams": {"r": {"type": "User", "value": "Message.userId"},
                          "when": {"type": "String", "value": "today"}}})
        assert bulk["bulkId"]
        print("\\n".join(sorted(m for m in sys.modules if m.startswith("kmsg_authoring"))))
    """)
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "sandbox.sqlite")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PACKAGE.parent,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    loaded = {component(m) for m in done.stdout.split()}
    assert "sandbox" in loaded and "render" in loaded
    assert {STAGE_OF[c] for c in loaded} <= SANDBOX_MAY_IMPORT, sorted(loaded)


def test_commands_take_their_exit_codes_from_errors() -> None:
    """No command returns a literal number: exit codes are errors.py's EXIT_* (or exit_status)."""
    found = []
    for module, source in package_sources().items():
        if component(module) not in ("cli", "__main__") and module != f"{ROOT}.lint.report":
            continue
        for func in ast.walk(_parse(source)):
            if not isinstance(func, ast.FunctionDef) or func.returns is None or ast.unparse(func.returns) != "int":
                continue
            if func.name not in ("main", "run", "exit_code") and not func.name.startswith("run_"):
                continue
            for node in ast.walk(func):
                if (
                    isinstance(node, ast.Return)
                    and node.value is not None
                    and any(isinstance(n, ast.Constant) and type(n.value) is int for n in ast.walk(node.value))
                ):
                    found.append(f"{module}:{node.lineno}: {ast.unparse(node)}")
    assert found == []


# Names with one home: the fields that carry tokens, the project's file names and the default ports are
# constants of the model; everyone else imports them.
SPELLED_ONCE: tuple[object, ...] = ("toAttributePath", "fromName", "kmsg.toml", "template.yaml", 8025, 8090)


def _constants(source: str) -> Iterator[tuple[object, int]]:
    for node in ast.walk(_parse(source)):
        if isinstance(node, ast.Constant) and not isinstance(node.value, bool):
            yield node.value, node.lineno


def spelled_outside_the_model(sources: Mapping[str, str]) -> list[str]:
    """`module:line: value` for every constant of SPELLED_ONCE written outside model/."""
    return [
        f"{module}:{line}: {value!r}"
        for module, source in sources.items()
        if not (module == f"{ROOT}.model" or module.startswith(f"{ROOT}.model."))
        for value, line in _constants(source)
        if value in SPELLED_ONCE
    ]


def test_field_names_file_names_and_ports_are_spelled_out_only_in_the_model() -> None:
    assert spelled_outside_the_model(package_sources()) == []


def test_a_name_spelled_again_is_caught() -> None:
    sources = {**package_sources(), "kmsg_authoring.lint.x": 'WHERE = "toAttributePath"\nPORT = 8025\n'}
    assert spelled_outside_the_model(sources) == [
        "kmsg_authoring.lint.x:1: 'toAttributePath'",
        "kmsg_authoring.lint.x:2: 8025",
    ]


def test_library_code_checks_with_raise_not_assert() -> None:
    """`python -O` drops asserts: a check the library relies on is an `if` that raises."""
    found = [
        f"{module}:{node.lineno}"
        for module, source in package_sources().items()
        for node in ast.walk(_parse(source))
        if isinstance(node, ast.Assert)
    ]
    assert found == []
