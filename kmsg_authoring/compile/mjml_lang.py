"""What MJML allows, as MJML itself says: its components, where each may stand, their attributes and types.

The data is MJML's own (compile/data/mjml.json, converted from MJML's packages by
scripts/mjml_data.py): each component's `allowedAttributes` and `endingTag`, the allowed children
of every tag from `mjml-validator`'s dependencies, and the color names of `mjml-core`'s color type.
The value types are checked here as `mjml-core`'s type classes check them, and refusals use the
words of MJML's strict validator (`mjml --config.validationLevel=strict`), so that a body MJML
accepts builds here and one it refuses is refused with MJML's reason, at the designer's line.

MRML renders whatever it is given (an unknown tag or attribute is dropped without a word), so
these checks run before it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

DATA_FILE = "mjml.json"


@cache
def data() -> dict[str, Any]:
    """MJML's data as shipped (compile/data/mjml.json)."""
    text = resources.files("kmsg_authoring.compile").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    found = json.loads(text)
    if not isinstance(found, dict):
        raise RuntimeError(f"the shipped {DATA_FILE} is not a JSON object: reinstall kmsg-author")
    return found


@dataclass(frozen=True)
class AttrType:
    """An attribute's value type, as mjml-core's types/ classes check it."""

    name: str  # MJML's spelling: color, unit(px,%){1,4}, enum(left,right), integer, boolean, string
    matchers: tuple[re.Pattern[str], ...] = ()
    anything: bool = False
    message: str = ""  # MJML's message after "has invalid value: VALUE"
    exact: frozenset[str] = frozenset()  # values accepted as they are (MJML's ^value$ matchers)

    def accepts(self, value: str) -> bool:
        """Whether MJML's validator accepts value for this type."""
        return self.anything or value in self.exact or any(m.search(value) for m in self.matchers)

    def refusal(self, value: str) -> str:
        """MJML's reason for refusing value: "has invalid value: 10em for type Unit, only accepts..."."""
        return f"has invalid value: {value} {self.message}"


def _js(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """A JavaScript regular expression without the m flag: $ is the end of the text only."""
    return re.compile(pattern.replace("$", r"\Z"), flags)


@cache
def attr_type(spec: str) -> AttrType:
    """The checker of one of MJML's type strings (mjml-core/lib/types/*.js)."""
    if spec.startswith("boolean"):
        # MJML's parser turns "true" and "false" into booleans, the only values Boolean accepts.
        return AttrType(spec, exact=frozenset(("true", "false")), message="for type Boolean")
    if spec.startswith("color"):
        return AttrType(
            spec,
            (
                _js("^#([0-9a-f]{3}){1,2}$", re.IGNORECASE),
                re.compile(r"rgba\(\d{1,3},\s?\d{1,3},\s?\d{1,3},\s?\d(\.\d{1,3})?\)", re.IGNORECASE),
                re.compile(r"rgb\(\d{1,3},\s?\d{1,3},\s?\d{1,3}\)", re.IGNORECASE),
            ),
            message="for type Color",
            exact=frozenset(data()["colors"]),  # ^(names)$, case as written
        )
    if spec.startswith("enum"):
        found = re.search(r"\(([^)]+)\)", spec)
        choices = found.group(1).split(",") if found else []
        return AttrType(spec, message=f"for type Enum, only accepts {', '.join(choices)}", exact=frozenset(choices))
    if spec.startswith(("unit(", "unitWithNegative(")):
        negative = "-|" if spec.startswith("unitWithNegative") else ""
        found = re.search(r"\(([^)]+)\)", spec)
        units = found.group(1).split(",") if found else []
        counts = re.search(r"\{([^}]+)\}", spec)
        args = counts.group(1).split(",") if counts else ["1"]
        auto = "|auto" if "auto" in units else ""
        plain = "|".join(re.escape(u) for u in units if u != "auto")
        pattern = rf"^((({negative}\d|,|\.){{1,}}({plain})|0{auto})( )?){{{','.join(args)}}}$"
        return AttrType(
            spec,
            (_js(pattern),),
            message=f"for type Unit, only accepts ({', '.join(units)}) units and {' to '.join(args)} value(s)",
        )
    if spec.startswith("integer"):
        return AttrType(spec, (re.compile(r"\d+"),), message="for type NInteger")
    if spec.startswith("string"):
        return AttrType(spec, anything=True)
    raise ValueError(f"MJML type {spec!r} is not one mjml-core defines")


@dataclass(frozen=True)
class Component:
    """One MJML tag: the tags it may stand in, its attributes, and whether its content is kept as written."""

    parents: tuple[str, ...]
    attributes: Mapping[str, AttrType]
    ending: bool = False  # content is HTML, kept as written (mj-text, mj-button, mj-raw...)
    head: bool = False
    open: bool = False  # any attribute is accepted (MJML does not validate this tag's attributes)
    children: tuple[str, ...] = field(default=())


# Attributes MJML's validator accepts on every component (validAttributes' whitelist).
COMMON = ("mj-class", "css-class")
TEXT = attr_type("string")


def _components() -> dict[str, Component]:
    mjml = data()
    kids: dict[str, list[Any]] = mjml["children"]

    def parents_of(tag: str) -> tuple[str, ...]:
        found = []
        for parent, allowed in kids.items():
            for k in allowed:
                if k == tag or (isinstance(k, dict) and re.search(k["regexp"], tag)):
                    found.append(parent)
                    break
        return tuple(found)

    head_tags = {k for k in kids.get("mj-head", []) if isinstance(k, str)} - {"mj-raw"}
    out: dict[str, Component] = {}
    for tag, comp in mjml["components"].items():
        attributes = {name: attr_type(spec) for name, spec in comp["attributes"].items()}
        attributes.update({name: TEXT for name in COMMON if name not in attributes})
        out[tag] = Component(
            parents_of(tag),
            attributes,
            ending=bool(comp["ending"]),
            head=tag in head_tags,
            children=tuple(k for k in kids.get(tag, []) if isinstance(k, str)),
        )
    # Handled by MJML's parser, not components: the root (never validated: mjml is one of the
    # validator's skipped elements) and mj-include, replaced by what it includes before validation.
    out["mjml"] = Component((), {"lang": TEXT, "dir": TEXT, "owa": TEXT}, open=True)
    out["mj-include"] = Component(
        (),
        {
            "path": TEXT,
            "type": attr_type("enum(mjml,css,html)"),
            "css-inline": attr_type("enum(inline)"),
        },
    )
    return out


COMPONENTS: dict[str, Component] = _components()
# MJML tags MRML does not implement: an error that says so, rather than "unknown".
UNSUPPORTED = frozenset({"mj-html-attributes", "mj-selector", "mj-html-attribute"})
# Children of mj-attributes: a default for every tag (mj-all), a named class (mj-class), or a tag's defaults.
ATTRIBUTE_DEFAULTS = "mj-attributes"
# Parents in which MRML fails on a comment (it wants only its own children there): no marks, no comments.
NO_COMMENTS = frozenset({"mj-carousel", "mj-accordion-element", ATTRIBUTE_DEFAULTS})
# Parents whose children take no element mark comment: those above, and mj-wrapper, which MRML writes
# child by child into Outlook's conditional comments (a comment there becomes a row of its own and
# its '-->' ends the conditional early). Their children are located at the wrapper.
NO_MARKS = NO_COMMENTS | {"mj-wrapper"}


def allowed_parents(tag: str) -> str:
    """MJML's list of where a tag may stand: 'mj-attributes, mj-column, mj-hero'."""
    comp = COMPONENTS.get(tag)
    return ", ".join(comp.parents) if comp is not None else ""


def suggest(name: str, known: list[str]) -> str:
    """' (did you mean X?)' for a near miss, else ''."""
    import difflib

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""
