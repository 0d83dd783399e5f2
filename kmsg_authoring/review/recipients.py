"""Every recipient's message of the templates: compiled, each sample's build, rendered clean and with element marks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from kmsg_authoring.errors import KmsgError, Location

if TYPE_CHECKING:
    from lxml import etree

    from kmsg_authoring.compile.types import CompiledTemplate
    from kmsg_authoring.render.renderer import Rendering
    from kmsg_authoring.source.config import Config


def recipient_messages(
    config: Config, slugs: Sequence[str] | None, targets: list[str], failures: dict[str, list[KmsgError]]
) -> Iterator[tuple[CompiledTemplate, str, Rendering, Rendering]]:
    """(the build shown, sample name, the message as sent, the same with MARK_ATTR on elements) per recipient.

    The templates built are appended to `targets`; templates or samples that fail go to `failures`.
    """
    from kmsg_authoring.render.renderer import render_all
    from kmsg_authoring.review.snapshot import _compile, in_sample_locale, samples_of

    built, compiled, failed = _compile(config, slugs)
    targets.extend(built)
    failures.update(failed)
    for slug in built:
        c = compiled.get(slug)
        if c is None:
            continue
        for sample in samples_of(config, c, failures):
            shown = in_sample_locale(compiled, c, sample)
            clean = render_all(shown.payload, sample.msg_params, sample.users, sample.recipients)
            marked_payload = {**shown.payload, "body": shown.marked_body}
            marked = render_all(marked_payload, sample.msg_params, sample.users, sample.recipients)
            for a, b in zip(clean, marked, strict=True):
                yield shown, sample.name, a, b


def element_location(c: CompiledTemplate, el: etree._Element) -> Location:
    """Where the designer wrote an element of a marked rendering (its nearest marked ancestor; else the body file)."""
    from kmsg_authoring.compile.types import MARK_ATTR

    node: etree._Element | None = el
    while node is not None:
        loc = c.source_map.element_location(node.get(MARK_ATTR))
        if loc is not None:
            return loc
        node = node.getparent()
    return c.body_location
