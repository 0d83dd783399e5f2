"""Import remote templates into the project: `templates_src/<slug>/template.yaml` and `body.html`.

A pulled body is plain HTML sent as it is (`kmsg: {jinja: false, inline_css: false}`), written exactly as
stored remotely, so a team can adopt the toolkit for templates made elsewhere. Pulled templates are
adopted: the remote copy gets the managed mark and a publish record of its fields, so `plan` reports
them unchanged, an edit then `publish` is an ordinary update, and drift protection covers them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from kmsg_authoring.errors import KmsgError, UsageError
from kmsg_authoring.model import DEFAULT_STATUS, LOCALE_TAG_PREFIX, TEMPLATE_YAML_FIELDS
from kmsg_authoring.publish.remote import (
    find_live,
    is_managed,
    normalize,
    parse_record,
    remote_templates,
    split_tags,
    tags_for,
)
from kmsg_authoring.publish.select import local_names
from kmsg_authoring.source.project import BODY_FILE, BODY_MJML, TEMPLATE_FILE
from kmsg_authoring.source.scaffold import MAX_SLUG_LENGTH

if TYPE_CHECKING:
    from kmsg_authoring.api import MessagingClient
    from kmsg_authoring.source.config import Config

_REMOTE_LINK = re.compile(r"<link\b[^>]*\bstylesheet\b[^>]*>", re.IGNORECASE)
_COMPILE_SLUG = "remote"
_SUFFIX_ROOM = 4  # room left in a shortened slug for the -2, -3... that keeps slugs apart


class PullRefused(KmsgError):
    """Pulling would overwrite local work."""


def slugify(name: str) -> str:
    """A folder name for a template name: lowercase words joined by dashes; a long one is cut to
    MAX_SLUG_LENGTH and ends with a hash of the whole name, so two names cut alike stay apart."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "template"
    if len(slug) <= MAX_SLUG_LENGTH:
        return slug
    mark = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"{slug[: MAX_SLUG_LENGTH - len(mark) - 1 - _SUFFIX_ROOM].rstrip('-')}-{mark}"


def template_yaml(remote: Mapping[str, Any], *, origin: str = "") -> str:
    """template.yaml for a remote template: its stored fields (not the body), kmsg: {jinja: false}."""
    norm = normalize(remote)
    data: dict[str, Any] = {}
    for name in TEMPLATE_YAML_FIELDS:
        if name == "appGuid":  # the environment gives it
            continue
        value = norm[name]
        if value in ("", [], {}) or (name == "status" and value == DEFAULT_STATUS):
            continue
        data[name] = value
    settings: dict[str, Any] = {"jinja": False, "inline_css": False}
    if _REMOTE_LINK.search(str(norm["body"])):
        settings["remote_stylesheets"] = "keep"
    data["kmsg"] = settings
    head = "# Pulled from the Messaging API" + (f" ({origin})" if origin else "") + ".\n"
    head += "# body.html is the body as stored remotely: plain HTML, not a Jinja template.\n"
    return head + str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=4096))


def write_template(folder: Path, remote: Mapping[str, Any], *, origin: str = "") -> None:
    """Write template.yaml and body.html of a remote template into folder (samples are kept)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / TEMPLATE_FILE).write_text(template_yaml(remote, origin=origin), encoding="utf-8")
    # Bytes, so that line endings stay exactly as stored remotely.
    (folder / BODY_FILE).write_bytes(str(remote.get("body") or "").encode("utf-8"))
    # The API stores compiled HTML, never the MJML: over a template written in MJML (only with --force),
    # the pulled HTML becomes its body, and a folder holds one body.
    (folder / BODY_MJML).unlink(missing_ok=True)


@dataclass
class PullResult:
    """What pull wrote: (slug, template name) pairs."""

    written: list[tuple[str, str]] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)  # names newly marked as managed (or re-recorded)
    # One language's copy of a localized template: its text comes from the catalogs, not a folder.
    translations: list[str] = field(default_factory=list)


def template_locale(remote: Mapping[str, Any]) -> str | None:
    """The locale of one language's copy of a template (its `locale:<code>` adminTags entry), else None."""
    for tag in split_tags(remote.get("adminTags")):
        if tag.startswith(LOCALE_TAG_PREFIX):
            return tag[len(LOCALE_TAG_PREFIX) :]
    return None


def adopt(client: MessagingClient, remote: Mapping[str, Any]) -> bool:
    """Mark a remote template as managed, recording its fields as they are now; False when it already was.

    From then on an edit in the project is an ordinary update, and an edit made elsewhere is drift.
    """
    norm = normalize(remote)
    if is_managed(remote) and parse_record(remote.get("adminTags")) == parse_record(tags_for(norm)):
        return False
    client.update_template(str(remote["id"]), {"adminTags": tags_for(norm)})
    return True


def pull(
    client: MessagingClient,
    config: Config,
    *,
    app_guid: str,
    names: Sequence[str] = (),
    force: bool = False,
    origin: str = "",
) -> PullResult:
    """Write the environment's templates (or the named ones) into the project's source folder.

    Refuses, writing nothing, when a target folder exists or another folder holds a template of the
    same name, unless force. Each pulled template is then adopted (see `adopt`): the one write request.
    """
    remotes: list[dict[str, Any]]
    if names:
        remotes = [r for n in names for r in find_live(client, app_guid, n)]
        missing = sorted(set(names) - {str(r.get("name")) for r in remotes})
        if missing:
            raise UsageError(f"no template named {', '.join(repr(m) for m in missing)} in appGuid {app_guid}")
    else:
        remotes = remote_templates(client, app_guid)
    remotes.sort(key=lambda r: (str(r.get("name")), str(r.get("id"))))
    local = local_names(config)
    plan: list[tuple[str, Mapping[str, Any]]] = []
    taken: set[str] = set()
    refusals: list[str] = []
    translations: list[str] = []
    for remote in remotes:
        name = str(remote.get("name", ""))
        locale = template_locale(remote)
        if locale is not None and locale != config.default_locale:
            # Pulled as a group: the default locale's copy is the source, the others are its translations.
            translations.append(name)
            continue
        slug = local[name] if force and name in local else slugify(name)
        base, n = slug, 2
        while slug in taken:
            slug, n = f"{base[: MAX_SLUG_LENGTH - len(str(n)) - 1]}-{n}", n + 1
        taken.add(slug)
        folder = config.src_dir / slug
        if not force:
            if name in local:
                refusals.append(f"'{name}' is already in {config.rel(config.src_dir / local[name])}")
                continue
            if folder.exists():
                refusals.append(f"{config.rel(folder)} already exists (for '{name}')")
                continue
        plan.append((slug, remote))
    if refusals:
        raise PullRefused("nothing was written; pass --force to overwrite:\n  " + "\n  ".join(refusals))
    result = PullResult(translations=translations)
    for slug, chosen in plan:
        write_template(config.src_dir / slug, chosen, origin=origin)
        result.written.append((slug, str(chosen.get("name"))))
    # Files first: a failure here leaves the project complete, and a re-run with --force adopts the rest.
    for _, chosen in plan:
        if adopt(client, chosen):
            result.adopted.append(str(chosen.get("name")))
    return result
