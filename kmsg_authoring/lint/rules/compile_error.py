"""KM001 and KM002: the template does not compile, or its preview samples do not fit it."""

from __future__ import annotations

from kmsg_authoring.lint.problem import COMPILE_ERROR, SAMPLE_ERROR
from kmsg_authoring.lint.registry import Rule, add_rule

add_rule(
    Rule(
        code=COMPILE_ERROR,
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
    )
)

add_rule(
    Rule(
        code=SAMPLE_ERROR,
        name="sample-error",
        severity="error",
        check=None,
        configurable=False,
        doc="""A preview sample of the template does not fit it.

What it does:
    Reports a file under the template's samples/ folder that the build rejects: invalid YAML, a
    value for a token the template does not declare, a value of the wrong shape for its token
    type. The message and location are the sample checker's.
Why:
    Previews and test sends use the samples; a broken sample shows something other than what
    recipients will get. The build refuses the template until it is fixed.
Bad:
    msgParams:
      joinLink: {type: MagicLink, value: "https://example.com"}    # MagicLink needs {baseURL, ...}
Good:
    msgParams:
      joinLink: {type: MagicLink, value: {baseURL: "https://example.com/join", expiry: 48}}
""",
    )
)
