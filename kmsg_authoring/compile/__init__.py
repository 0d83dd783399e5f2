"""Template sources in, a compiled template out: Jinja2, MJML, CSS inlining with token shielding, extraction.

This face loads nothing heavy: `compile_template` and `CompileEnv` come from `compiler.py` (which
brings lxml and the inliners) only when first asked for, so importing `compile.types` for a data type
costs no parser.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kmsg_authoring.compile.env import CompileEnv as CompileEnv
    from kmsg_authoring.compile.compiler import compile_template as compile_template

__all__ = ["CompileEnv", "compile_template"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from kmsg_authoring.compile import compiler

        return getattr(compiler, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
