"""KM001: the template does not compile."""

from __future__ import annotations

from kmsg_authoring.lint.registry import Rule, add_rule

add_rule(Rule(
    code="KM001",
    name="compile-error",
    severity="error",
    check=None,
    configurable=False,
    doc="""The template could not be compiled.

What it does:
    Reports a template whose sources cannot be compiled: invalid YAML, an unknown field in
    template.yaml, a Jinja syntax error or undefined variable, a missing layout or partial, a file
    that is not UTF-8. The message and location are the compiler's.
Why:
    Nothing else can be checked, built or published until the template compiles. This rule
    cannot be disabled.
Bad:
    {% extends "_layouts/missing.html" %}
Good:
    {% extends "_layouts/base.html" %}
""",
))
