"""What MJML allows: its components, where each may stand, their attributes and the values they take.

MRML renders whatever it is given (an unknown tag or attribute is dropped without a word), so the
checks MJML's own validator makes in its strict mode are made here, before MRML runs, and reported
at the line and column the designer wrote.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# Value types, as MJML's validator names them: color, unit(px,%){1,4}, enum(...), integer, boolean.
_COLOR = re.compile(
    r"\A(?:#[0-9a-fA-F]{3,4}|#[0-9a-fA-F]{6}|#[0-9a-fA-F]{8}|[a-zA-Z]+|"
    r"(?:rgb|rgba|hsl|hsla)\(\s*[\d.%\s,/-]+\))\Z"
)
_UNIT = r"-?(?:\d+|\d*\.\d+)(?:{units})?"


def _units(units: str, count: int = 1) -> re.Pattern[str]:
    one = _UNIT.format(units="|".join(re.escape(u) for u in units.split(",")))
    return re.compile(rf"\A{one}(?:\s+{one}){{0,{count - 1}}}\Z")


@dataclass(frozen=True)
class AttrType:
    """An attribute's value type: its name in messages and a check (None: any text)."""

    name: str
    pattern: re.Pattern[str] | None = None
    choices: tuple[str, ...] = ()

    def accepts(self, value: str) -> bool:
        """Whether value is one this attribute takes."""
        if self.choices:
            return value in self.choices
        return self.pattern is None or bool(self.pattern.match(value.strip()))


def _enum(*choices: str) -> AttrType:
    return AttrType("one of " + ", ".join(f"'{c}'" for c in choices), choices=choices)


TEXT = AttrType("text")
COLOR = AttrType("a color (#rrggbb, #rgb, a name or rgb()/rgba())", _COLOR)
PX = AttrType("a length in px", _units("px"))
PX_PCT = AttrType("a length in px or %", _units("px,%"))
PX_AUTO = AttrType("a length in px, or auto", re.compile(r"\A(?:auto|-?\d+(?:\.\d+)?(?:px)?)\Z"))
BOX = AttrType("1 to 4 lengths in px or %", _units("px,%", 4))
INTEGER = AttrType("a whole number", re.compile(r"\A\d+\Z"))
BOOLEAN = _enum("true", "false")
ALIGN = _enum("left", "center", "right")
TEXT_ALIGN = _enum("left", "right", "center", "justify")
VALIGN = _enum("top", "bottom", "middle")
DIRECTION = _enum("ltr", "rtl")
LETTER_SPACING = AttrType("a length in px or em, or normal", re.compile(r"\A(?:normal|-?\d+(?:\.\d+)?(?:px|em)?)\Z"))
LINE_HEIGHT = AttrType("a length in px or %, or a number", re.compile(r"\A(?:normal|\d+(?:\.\d+)?(?:px|%|em)?)\Z"))

_PADDING = {
    "padding": BOX,
    "padding-top": PX_PCT,
    "padding-bottom": PX_PCT,
    "padding-left": PX_PCT,
    "padding-right": PX_PCT,
}
_BORDERS = {
    "border": TEXT,
    "border-top": TEXT,
    "border-bottom": TEXT,
    "border-left": TEXT,
    "border-right": TEXT,
    "border-radius": TEXT,
}
_FONT = {
    "color": COLOR,
    "font-family": TEXT,
    "font-size": PX,
    "font-style": TEXT,
    "font-weight": TEXT,
    "letter-spacing": LETTER_SPACING,
    "line-height": LINE_HEIGHT,
    "text-decoration": TEXT,
    "text-transform": TEXT,
}
_LINK = {"href": TEXT, "rel": TEXT, "target": TEXT, "title": TEXT}
_BACKGROUND = {
    "background-color": COLOR,
    "background-url": TEXT,
    "background-repeat": _enum("repeat", "no-repeat"),
    "background-size": TEXT,
    "background-position": TEXT,
    "background-position-x": TEXT,
    "background-position-y": TEXT,
}
# Every body component takes these (mj-attributes and mj-class give defaults through them).
COMMON = {"css-class": TEXT, "mj-class": TEXT}

_SECTION = {
    **_BACKGROUND,
    **_BORDERS,
    **_PADDING,
    "direction": DIRECTION,
    "full-width": _enum("full-width", "false"),
    "text-align": ALIGN,
    "text-padding": BOX,
}


@dataclass(frozen=True)
class Component:
    """One MJML tag: the tags it may stand in, its attributes, and whether its content is raw HTML."""

    parents: tuple[str, ...]
    attributes: Mapping[str, AttrType]
    ending: bool = False  # content is HTML, kept as written (mj-text, mj-button, mj-raw...)
    head: bool = False


_CONTENT_PARENTS = ("mj-column", "mj-hero")
COMPONENTS: dict[str, Component] = {
    "mjml": Component((), {"lang": TEXT, "dir": TEXT, "owa": TEXT}),
    "mj-head": Component(("mjml",), {}),
    "mj-body": Component(("mjml",), {"background-color": COLOR, "width": PX, "css-class": TEXT}),
    # head
    "mj-attributes": Component(("mj-head",), {}, head=True),
    "mj-breakpoint": Component(("mj-head",), {"width": PX}, head=True),
    "mj-font": Component(("mj-head",), {"name": TEXT, "href": TEXT}, head=True),
    "mj-preview": Component(("mj-head",), {}, ending=True, head=True),
    "mj-style": Component(("mj-head",), {"inline": _enum("inline")}, ending=True, head=True),
    "mj-title": Component(("mj-head",), {}, ending=True, head=True),
    # body: layout
    "mj-wrapper": Component(("mj-body",), {**_SECTION, "gap": PX, **COMMON}),
    "mj-section": Component(("mj-body", "mj-wrapper"), {**_SECTION, **COMMON}),
    "mj-group": Component(
        ("mj-section",),
        {"background-color": COLOR, "direction": DIRECTION, "vertical-align": VALIGN, "width": PX_PCT, **COMMON},
    ),
    "mj-column": Component(
        ("mj-section", "mj-group"),
        {
            "background-color": COLOR,
            "inner-background-color": COLOR,
            **_BORDERS,
            "inner-border": TEXT,
            "inner-border-top": TEXT,
            "inner-border-bottom": TEXT,
            "inner-border-left": TEXT,
            "inner-border-right": TEXT,
            "inner-border-radius": TEXT,
            **_PADDING,
            "direction": DIRECTION,
            "vertical-align": VALIGN,
            "width": PX_PCT,
            **COMMON,
        },
    ),
    "mj-hero": Component(
        ("mj-body", "mj-wrapper"),
        {
            "background-color": COLOR,
            "background-height": PX,
            "background-position": TEXT,
            "background-url": TEXT,
            "background-width": PX,
            "border-radius": TEXT,
            "container-background-color": COLOR,
            "height": PX,
            "inner-background-color": COLOR,
            "inner-padding": BOX,
            "inner-padding-top": PX_PCT,
            "inner-padding-bottom": PX_PCT,
            "inner-padding-left": PX_PCT,
            "inner-padding-right": PX_PCT,
            "mode": _enum("fluid-height", "fixed-height"),
            **_PADDING,
            "vertical-align": VALIGN,
            "width": PX_PCT,
            **COMMON,
        },
    ),
    # body: content
    "mj-text": Component(
        _CONTENT_PARENTS,
        {
            "align": TEXT_ALIGN,
            "container-background-color": COLOR,
            **_FONT,
            "height": PX,
            **_PADDING,
            "vertical-align": VALIGN,
            **COMMON,
        },
        ending=True,
    ),
    "mj-button": Component(
        _CONTENT_PARENTS,
        {
            "align": ALIGN,
            "background-color": COLOR,
            **_BORDERS,
            "container-background-color": COLOR,
            **_FONT,
            "height": PX_PCT,
            **_LINK,
            "inner-padding": BOX,
            "name": TEXT,
            **_PADDING,
            "text-align": TEXT_ALIGN,
            "vertical-align": VALIGN,
            "width": PX_PCT,
            **COMMON,
        },
        ending=True,
    ),
    "mj-image": Component(
        _CONTENT_PARENTS,
        {
            "align": ALIGN,
            "alt": TEXT,
            **_BORDERS,
            "container-background-color": COLOR,
            "fluid-on-mobile": BOOLEAN,
            "font-size": PX,
            "height": PX_AUTO,
            **_LINK,
            "name": TEXT,
            **_PADDING,
            "sizes": TEXT,
            "src": TEXT,
            "srcset": TEXT,
            "usemap": TEXT,
            "width": PX,
            **COMMON,
        },
    ),
    "mj-divider": Component(
        _CONTENT_PARENTS,
        {
            "align": ALIGN,
            "border-color": COLOR,
            "border-style": TEXT,
            "border-width": PX,
            "container-background-color": COLOR,
            **_PADDING,
            "width": PX_PCT,
            **COMMON,
        },
    ),
    "mj-spacer": Component(
        _CONTENT_PARENTS, {"container-background-color": COLOR, "height": PX_PCT, **_PADDING, **COMMON}
    ),
    "mj-table": Component(
        _CONTENT_PARENTS,
        {
            "align": ALIGN,
            "border": TEXT,
            "cellpadding": INTEGER,
            "cellspacing": INTEGER,
            "container-background-color": COLOR,
            **_FONT,
            **_PADDING,
            "role": _enum("none", "presentation"),
            "table-layout": _enum("auto", "fixed", "initial", "inherit"),
            "vertical-align": VALIGN,
            "width": PX_PCT,
            **COMMON,
        },
        ending=True,
    ),
    "mj-raw": Component(
        ("mj-body", "mj-wrapper", "mj-section", "mj-group", "mj-column", "mj-hero", "mj-head"),
        {"position": _enum("file-start")},
        ending=True,
    ),
    "mj-social": Component(
        _CONTENT_PARENTS,
        {
            "align": ALIGN,
            "border-radius": TEXT,
            "container-background-color": COLOR,
            **_FONT,
            "icon-height": PX_PCT,
            "icon-size": PX_PCT,
            "icon-padding": BOX,
            "inner-padding": BOX,
            "mode": _enum("horizontal", "vertical"),
            **_PADDING,
            "table-layout": _enum("auto", "fixed"),
            "text-padding": BOX,
            **COMMON,
        },
    ),
    "mj-social-element": Component(
        ("mj-social",),
        {
            "align": ALIGN,
            "alt": TEXT,
            "background-color": COLOR,
            "border-radius": TEXT,
            **_FONT,
            "icon-height": PX_PCT,
            "icon-size": PX_PCT,
            "icon-padding": BOX,
            "icon-position": _enum("left", "right"),
            **_LINK,
            "name": TEXT,
            **_PADDING,
            "sizes": TEXT,
            "src": TEXT,
            "srcset": TEXT,
            "text-padding": BOX,
            "vertical-align": VALIGN,
            **COMMON,
        },
        ending=True,
    ),
    "mj-navbar": Component(
        _CONTENT_PARENTS,
        {
            "align": ALIGN,
            "base-url": TEXT,
            "hamburger": TEXT,
            "ico-align": ALIGN,
            "ico-close": TEXT,
            "ico-color": COLOR,
            "ico-font-family": TEXT,
            "ico-font-size": PX,
            "ico-line-height": PX,
            "ico-open": TEXT,
            "ico-padding": BOX,
            "ico-padding-top": PX_PCT,
            "ico-padding-bottom": PX_PCT,
            "ico-padding-left": PX_PCT,
            "ico-padding-right": PX_PCT,
            "ico-text-decoration": TEXT,
            "ico-text-transform": TEXT,
            **COMMON,
        },
    ),
    "mj-navbar-link": Component(("mj-navbar",), {**_FONT, **_LINK, **_PADDING, **COMMON}, ending=True),
    "mj-accordion": Component(
        _CONTENT_PARENTS,
        {
            "border": TEXT,
            "container-background-color": COLOR,
            "font-family": TEXT,
            "icon-align": VALIGN,
            "icon-height": PX,
            "icon-width": PX,
            "icon-position": _enum("left", "right"),
            "icon-selected-src": TEXT,
            "icon-unselected-src": TEXT,
            "icon-wrapped-alt": TEXT,
            "icon-unwrapped-alt": TEXT,
            **_PADDING,
            **COMMON,
        },
    ),
    "mj-accordion-element": Component(
        ("mj-accordion",),
        {
            "background-color": COLOR,
            "border": TEXT,
            "font-family": TEXT,
            "icon-align": VALIGN,
            "icon-height": PX,
            "icon-width": PX,
            "icon-position": _enum("left", "right"),
            "icon-selected-src": TEXT,
            "icon-unselected-src": TEXT,
            "icon-wrapped-alt": TEXT,
            "icon-unwrapped-alt": TEXT,
            **COMMON,
        },
    ),
    "mj-accordion-title": Component(
        ("mj-accordion-element",),
        {"background-color": COLOR, "color": COLOR, "font-family": TEXT, "font-size": PX, **_PADDING, **COMMON},
        ending=True,
    ),
    "mj-accordion-text": Component(
        ("mj-accordion-element",),
        {
            "background-color": COLOR,
            "color": COLOR,
            "font-family": TEXT,
            "font-size": PX,
            "font-weight": TEXT,
            "letter-spacing": LETTER_SPACING,
            "line-height": LINE_HEIGHT,
            **_PADDING,
            **COMMON,
        },
        ending=True,
    ),
    "mj-carousel": Component(
        _CONTENT_PARENTS,
        {
            "align": ALIGN,
            "border-radius": TEXT,
            "container-background-color": COLOR,
            "icon-width": PX,
            "left-icon": TEXT,
            "right-icon": TEXT,
            "thumbnails": _enum("visible", "hidden"),
            "tb-border": TEXT,
            "tb-border-radius": TEXT,
            "tb-hover-border-color": COLOR,
            "tb-selected-border-color": COLOR,
            "tb-width": PX,
            **COMMON,
        },
    ),
    "mj-carousel-image": Component(
        ("mj-carousel",),
        {
            "alt": TEXT,
            "href": TEXT,
            "rel": TEXT,
            "src": TEXT,
            "target": TEXT,
            "thumbnails-src": TEXT,
            "title": TEXT,
            "border-radius": TEXT,
            "tb-border": TEXT,
            "tb-border-radius": TEXT,
            **COMMON,
        },
    ),
    "mj-include": Component((), {"path": TEXT, "type": _enum("mjml", "css", "html"), "css-inline": _enum("inline")}),
}
# MJML tags MRML does not implement: an error that says so, rather than "unknown".
UNSUPPORTED = frozenset({"mj-html-attributes", "mj-selector", "mj-html-attribute"})
# Children of mj-attributes: a default for every tag (mj-all), a named class (mj-class), or a tag's defaults.
ATTRIBUTE_DEFAULTS = "mj-attributes"
# Parents in which MRML fails on a comment (it wants only its own children there): no marks, no comments.
NO_COMMENTS = frozenset({"mj-carousel", "mj-accordion-element", ATTRIBUTE_DEFAULTS})


def suggest(name: str, known: list[str]) -> str:
    """' (did you mean X?)' for a near miss, else ''."""
    import difflib

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""
