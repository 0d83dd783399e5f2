"""Budgets on what one operation in a template may allocate, checked before it allocates.

Padding and formatting take their size from a number (`"a"|center(999999999)`, `"%999999999d"`,
`"{:>999999999}"`): the output limit of a render only sees the result once the memory is taken, so
widths and precisions are bounded where they are given, and operations whose result multiplies
their input (indent, wordwrap, replace, join, `+`) are refused when the result would pass the
render's size limit.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

# More than any line of an email: a width, precision or count in a template beyond this is refused.
MAX_FORMAT_WIDTH = 10_000

_PRINTF = re.compile(r"%(\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?([a-zA-Z%]|$)")
_NUMBER = re.compile(r"\d+")


class RenderLimitError(Exception):
    """A render went over its time or output budget; `where` is (template file, line) when known."""

    def __init__(self, message: str, where: tuple[str, int] | None = None) -> None:
        super().__init__(message)
        self.where = where


def _shown(n: int) -> str:
    return f"{n:,}" if n < 10**15 else "more than 10^15"


def _digits(text: str) -> int:
    """A number written in a format string (one too long to convert counts as over every limit)."""
    return int(text) if len(text) <= 15 else 10**15


def check_width(value: Any, what: str) -> None:
    """Refuse a width, precision or count over MAX_FORMAT_WIDTH (a string counts by its length)."""
    if isinstance(value, bool):
        return
    if isinstance(value, str):
        value = len(value)
    if isinstance(value, int) and value > MAX_FORMAT_WIDTH:
        raise RenderLimitError(
            f"{what} is {_shown(value)}, more than the {MAX_FORMAT_WIDTH:,} characters a template may ask "
            "for; use a smaller number"
        )


def check_size(size: int, limit: int, what: str) -> None:
    """Refuse an operation whose result would pass the render size limit."""
    if size > limit:
        raise RenderLimitError(
            f"{what} would produce {_shown(size)} characters, more than the render size limit "
            f"({limit:,}); the limit is [build] render_size_limit_mb in kmsg.toml"
        )


def check_printf(fmt: str, values: Any, what: str) -> None:
    """Refuse a printf-style format (`%` and |format) whose widths or precisions are over the limit."""
    if "%" not in fmt:
        return
    args = values if isinstance(values, tuple) else (values,)
    i = 0
    for m in _PRINTF.finditer(fmt):
        key, width, precision, conversion = m.groups()
        if conversion == "%" and not (key or width or precision):
            continue
        for part in (width, precision):
            if part == "*":
                check_width(args[i] if i < len(args) else 0, f"a width or precision in {what}")
                i += 1
            elif part:
                check_width(_digits(part), f"a width or precision in {what}")
        if key is None:
            i += 1


def check_format_spec(spec: str) -> None:
    """Refuse a str.format spec (`{:>999999999}`, `{:.999999999f}`) with a number over the limit."""
    for number in _NUMBER.findall(spec):
        check_width(_digits(number), "a width or precision in a format spec")


def _arg(args: Sequence[Any], kwargs: Mapping[str, Any], index: int, name: str, default: Any = None) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.get(name, default)


def _replaced_size(s: str, old: Any, new: Any, count: Any) -> int:
    if not isinstance(old, str) or not isinstance(new, str) or len(new) <= len(old):
        return len(s)
    found = len(s) + 1 if old == "" else s.count(old)
    if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
        found = min(found, count)
    return len(s) + found * (len(new) - len(old))


def _joined_size(sep: Any, items: Sequence[Any]) -> int:
    return len(str(sep)) * max(len(items) - 1, 0) + sum(len(i) if isinstance(i, str) else 0 for i in items)


Check = Callable[[tuple[Any, ...], dict[str, Any]], tuple[tuple[Any, ...], dict[str, Any]]]


def _filter_checks(size_limit: int) -> dict[str, Check]:
    """Per filter: a check of its arguments (after the value) that raises or returns the arguments to call with."""

    def center(a: tuple[Any, ...], k: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        check_width(_arg(a, k, 1, "width"), "the width of center")
        return a, k

    def indent(a: tuple[Any, ...], k: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        width = _arg(a, k, 1, "width", 4)
        check_width(width, "the width of indent")
        s = str(a[0]) if a else ""
        unit = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
        check_size(len(s) + (s.count("\n") + 1) * max(unit, 0), size_limit, "indent")
        return a, k

    def wordwrap(a: tuple[Any, ...], k: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        check_width(_arg(a, k, 1, "width", 79), "the width of wordwrap")
        s = str(a[0]) if a else ""
        wrap = _arg(a, k, 3, "wrapstring")
        check_size(len(s) + (len(s) + 1) * len(str(wrap or "\n")), size_limit, "wordwrap")
        return a, k

    def truncate(a: tuple[Any, ...], k: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        check_width(_arg(a, k, 1, "length"), "the length of truncate")
        check_width(_arg(a, k, 4, "leeway"), "the leeway of truncate")
        return a, k

    def format_(a: tuple[Any, ...], k: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        if a:
            check_printf(str(a[0]), k or tuple(a[1:]), "format")
        return a, k

    def replace(a: tuple[Any, ...], k: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        if a:
            size = _replaced_size(str(a[0]), _arg(a, k, 1, "old"), _arg(a, k, 2, "new"), _arg(a, k, 3, "count"))
            check_size(size, size_limit, "replace")
        return a, k

    def join(a: tuple[Any, ...], k: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        if a and not isinstance(a[0], (str, list, tuple)):
            a = (list(a[0]), *a[1:])  # a generator is read once, here, to be measured
        if a and _arg(a, k, 2, "attribute") is None and isinstance(a[0], (list, tuple)):
            check_size(_joined_size(_arg(a, k, 1, "d", ""), a[0]), size_limit, "join")
        return a, k

    def count(name: str, index: int, keyword: str) -> Check:
        def check(a: tuple[Any, ...], k: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
            check_width(_arg(a, k, index, keyword), f"the {keyword} of {name}")
            return a, k

        return check

    return {
        "center": center,
        "indent": indent,
        "wordwrap": wordwrap,
        "truncate": truncate,
        "format": format_,
        "replace": replace,
        "join": join,
        "batch": count("batch", 1, "linecount"),
        "slice": count("slice", 1, "slices"),
    }


def guard_filters(filters: dict[str, Any], size_limit: int) -> None:
    """Wrap Jinja's padding, formatting and repeating filters so their arguments are checked first."""
    for name, check in _filter_checks(size_limit).items():
        original = filters[name]
        # A filter Jinja passes its environment or context to takes that first; the check skips it.
        skip = 1 if hasattr(original, "jinja_pass_arg") else 0

        @functools.wraps(original)
        def guarded(
            *args: Any, _original: Any = original, _check: Check = check, _skip: int = skip, **kwargs: Any
        ) -> Any:
            checked, kwargs = _check(args[_skip:], kwargs)
            return _original(*args[:_skip], *checked, **kwargs)

        filters[name] = guarded


_PADDING_METHODS = frozenset({"center", "ljust", "rjust", "zfill"})
_LOREM_WORD = 14  # characters a word of lipsum() takes at most, with its space and markup share


def check_method_call(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any], size_limit: int) -> tuple[Any, ...]:
    """Check a call of a string method (or lipsum) from a template; returns the arguments to call it with."""
    from jinja2.utils import generate_lorem_ipsum

    if obj is generate_lorem_ipsum:
        paragraphs, most = _arg(args, kwargs, 0, "n", 5), _arg(args, kwargs, 3, "max", 100)
        if isinstance(paragraphs, int) and isinstance(most, int):
            check_size(paragraphs * most * _LOREM_WORD, size_limit, "lipsum()")
        return args
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", "")
    if not isinstance(owner, str):
        return args
    if name in _PADDING_METHODS:
        check_width(_arg(args, kwargs, 0, "width"), f"the width of {name}()")
    elif name == "expandtabs":
        size = _arg(args, kwargs, 0, "tabsize", 8)
        check_width(size, "the tab size of expandtabs()")
        if isinstance(size, int):
            check_size(len(owner) + owner.count("\t") * size, size_limit, "expandtabs()")
    elif name == "replace" and len(args) >= 2:
        check_size(_replaced_size(owner, args[0], args[1], _arg(args, kwargs, 2, "count")), size_limit, "replace()")
    elif name == "join" and args:
        items = args[0] if isinstance(args[0], (list, tuple)) else list(args[0])
        check_size(_joined_size(owner, items), size_limit, "join()")
        return (items, *args[1:])
    return args
