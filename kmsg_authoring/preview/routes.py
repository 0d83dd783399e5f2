"""A URL path in, a Response out: the preview's pages, live-reload waits and renderings.

`Routes` is given the `PreviewSite` (site.py) that builds the templates and keeps their state; it
reads that state through the site's methods, under the site's lock.
"""

from __future__ import annotations

import json
import mimetypes
import posixpath
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs, quote, unquote, urlsplit

from kmsg_authoring.errors import KmsgError
from kmsg_authoring.preview.pages import (
    ContractView,
    Finding,
    IndexRow,
    RecipientView,
    TemplateView,
    index_page,
    not_found_page,
)
from kmsg_authoring.preview.template_page import template_page
from kmsg_authoring.render.renderer import Rendering, locate_unresolved

if TYPE_CHECKING:
    from kmsg_authoring.review.thumbs import Thumbnails
    from kmsg_authoring.compile.types import CompiledTemplate
    from kmsg_authoring.source.config import Config
    from kmsg_authoring.render.samples import Sample


STATIC_DIR = Path(__file__).resolve().parent / "static"


@dataclass(frozen=True)
class Response:
    """What the server sends back."""

    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def _html(status: int, text: str, *headers: tuple[str, str]) -> Response:
    return Response(status, "text/html; charset=utf-8", text.encode("utf-8"), headers)


class BadRequest(Exception):
    """A request the preview cannot answer as asked (a malformed query value): 400."""


def internal_error(exc: Exception) -> Response:
    """A 500 page naming an unexpected failure, instead of a traceback (the cause goes to the server's log)."""
    from html import escape

    text = f"preview failed unexpectedly: {type(exc).__name__}: {exc}"
    return _html(500, f'<!DOCTYPE html><meta charset="utf-8"><title>Error</title><p>{escape(text)}</p>\n')


@dataclass
class TemplateState:
    """What the preview knows about one template."""

    slug: str
    compiled: CompiledTemplate | None = None  # the last good build
    errors: list[KmsgError] = field(default_factory=list)  # why the latest build (or its samples) failed
    findings: list[Finding] = field(default_factory=list)
    built_at: float | None = None
    epoch: int = 0  # the site epoch this template last changed at
    deps: frozenset[str] = frozenset()
    # A template built per locale: each locale's last build (compiled is the default locale's).
    locales: dict[str, CompiledTemplate] = field(default_factory=dict)


def safe_join(base: Path, url_path: str) -> Path | None:
    """The file under base a URL path names, or None when it would leave base (.., absolute, encoded)."""
    path = unquote(url_path)
    if "\\" in path or "\x00" in path:
        return None
    norm = posixpath.normpath("/" + path).lstrip("/")
    if not norm or norm == "." or any(part in ("..", "") for part in norm.split("/")) or path.startswith("/"):
        return None
    candidate = (base / norm).resolve()
    if not candidate.is_relative_to(base.resolve()) or not candidate.is_file():
        return None
    return candidate


class SiteState(Protocol):
    """What request handling reads of the site (site.PreviewSite keeps it and builds the templates)."""

    config: Config
    templates: dict[str, TemplateState]
    site_errors: list[KmsgError]
    thumbnails: Thumbnails | None
    epoch: int

    @property
    def lock(self) -> threading.Condition:
        """The lock every reader and writer of the state holds."""

    def current(self, slug: str | None) -> int:
        """The epoch a page shows."""

    def wait(self, since: int, slug: str | None, timeout: float | None = None) -> int:
        """Block until the page's epoch differs from since (or timeout)."""

    def renderings(
        self, state: TemplateState, sample_name: str | None, locale: str | None = None
    ) -> tuple[Sample, list[Rendering]]:
        """The sample and each recipient's rendering of a template's last good build."""

    def in_locale(self, state: TemplateState, locale: str | None) -> CompiledTemplate:
        """A template's last good build in a locale."""


class Routes:
    """The preview's request handling: reads the state a site keeps, through its public methods."""

    def __init__(self, site: SiteState) -> None:
        self.site = site

    def handle(self, raw_path: str) -> Response:
        """Answer a GET request for a URL path (with query)."""
        url = urlsplit(raw_path)
        query = parse_qs(url.query)
        path = url.path
        try:
            if path in ("/", "/index.html"):
                return self._index()
            if path == "/livereload":
                return self._livereload(query)
            if path.startswith("/static/"):
                return self._static(path[len("/static/") :])
            if path == "/favicon.ico":
                return Response(204, "image/x-icon", b"")
            if path.startswith("/t/"):
                return self._template_route(path[len("/t/") :], query)
            if path.startswith("/snapshots/") and self.site.thumbnails is not None:
                return self._snapshot_file(path[len("/snapshots/") :])
        except BadRequest as exc:
            return _html(400, not_found_page(str(exc), self.site.current(None), None))
        return self._not_found("No such page.")

    def _not_found(self, message: str, slug: str | None = None) -> Response:
        return _html(404, not_found_page(message, self.site.current(slug), slug))

    def _index(self) -> Response:
        with self.site.lock:
            rows = [
                IndexRow(
                    slug,
                    str((s.compiled.payload.get("name") if s.compiled else None) or slug),
                    list(s.errors),
                    list(s.findings),
                    s.built_at,
                    translations=translation_status(s.locales),
                )
                for slug, s in sorted(self.site.templates.items())
            ]
            epoch = self.site.epoch
            site_errors = list(self.site.site_errors)
        if self.site.thumbnails is not None:
            rows = [replace(row, thumbnail=self.site.thumbnails.thumbnail(row.slug)) for row in rows]
        return _html(200, index_page(rows, epoch, site_errors), ("Cache-Control", "no-store"))

    def _snapshot_file(self, rest: str) -> Response:
        which, _, rel = rest.partition("/")
        folder = self.site.thumbnails.folder(which) if self.site.thumbnails is not None else None
        path = safe_join(folder, rel) if folder is not None and rel.endswith(".png") else None
        if path is None:
            return self._not_found("No such snapshot.")
        return Response(200, "image/png", path.read_bytes(), (("Cache-Control", "no-store"),))

    def _livereload(self, query: dict[str, list[str]]) -> Response:
        since_text = query.get("since", ["0"])[0]
        if not since_text.isdigit():
            raise BadRequest(f"since must be a build number, not {since_text!r}")
        since = int(since_text)
        slug = query.get("slug", [None])[0]
        epoch = self.site.wait(since, slug)
        return Response(200, "text/plain; charset=utf-8", str(epoch).encode(), (("Cache-Control", "no-store"),))

    def _static(self, rel: str) -> Response:
        path = safe_join(STATIC_DIR, rel)
        if path is None:
            return self._not_found("No such file.")
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype.endswith("javascript"):
            ctype += "; charset=utf-8"
        return Response(200, ctype, path.read_bytes(), (("Cache-Control", "no-cache"),))

    def _template_route(self, rest: str, query: dict[str, list[str]]) -> Response:
        parts = [unquote(p) for p in rest.split("/")]
        slug = parts[0]
        state = self.site.templates.get(slug)
        if state is None:
            return self._not_found(f"No template '{slug}' (yet): this page shows it once its folder exists.", slug)
        locale = query.get("locale", [None])[0]
        if locale is not None and locale not in state.locales:
            known = ", ".join(sorted(state.locales)) or "none: it has no translatable text"
            links = [(f"/t/{quote(slug)}?locale={quote(c)}", c) for c in sorted(state.locales)]
            message = f"Template '{slug}' is not built in locale '{locale}' (locales: {known})."
            return _html(404, not_found_page(message, self.site.current(slug), slug, links=links))
        if len(parts) == 1:
            return self._template_page(state, query.get("sample", [None])[0], locale)
        if parts[1:] == ["contract.schema.json"] and state.compiled is not None:
            return self._contract_schema(state.compiled)
        if parts[1:] == ["payload.json"] and state.compiled is not None:
            body = json.dumps(self.site.in_locale(state, locale).payload, indent=2, ensure_ascii=False) + "\n"
            return Response(200, "application/json; charset=utf-8", body.encode("utf-8"))
        if parts[1:] == ["spam"] and state.compiled is not None:
            return self._spam(state, query.get("sample", [None])[0])
        if len(parts) == 4 and parts[1] == "email" and state.compiled is not None:
            return self._email(state, parts[2], parts[3], query.get("view", [""])[0], locale)
        return self._not_found("No such page.")

    def _spam(self, state: TemplateState, sample_name: str | None) -> Response:
        """The Deliverability tab's result: the template's messages scored by SpamAssassin, on request."""
        from kmsg_authoring.preview.template_page import spam_page
        from kmsg_authoring.review.spam import score_templates

        try:
            result = score_templates(self.site.config, [state.slug])
        except KmsgError as exc:
            return _html(
                503, spam_page(state.slug, self.site.current(state.slug), error=exc), ("Cache-Control", "no-store")
            )
        if sample_name is not None:
            result.messages = [m for m in result.messages if m.sample == sample_name]
        return _html(200, spam_page(state.slug, self.site.current(state.slug), result), ("Cache-Control", "no-store"))

    def _contract_schema(self, compiled: CompiledTemplate) -> Response:
        """The template's contract, as build/contracts/<slug>.schema.json holds it."""
        from kmsg_authoring.contract.template import contract_schema

        body = json.dumps(contract_schema(compiled.payload, compiled.slug), indent=2, ensure_ascii=False) + "\n"
        return Response(200, "application/schema+json; charset=utf-8", body.encode("utf-8"))

    def _email(
        self, state: TemplateState, sample_name: str, recipient: str, view: str = "", locale: str | None = None
    ) -> Response:
        """Exactly the HTML a recipient's mail client receives (view=dark or inverted: as darkened)."""
        if not recipient.endswith(".html") or not recipient[:-5].isdigit():
            return self._not_found("No such recipient.")
        try:
            _, renderings = self.site.renderings(state, None if sample_name == "-" else sample_name, locale)
        except KmsgError as exc:
            return _html(404, not_found_page(str(exc), self.site.current(state.slug), state.slug))
        index = int(recipient[:-5])
        if index >= len(renderings):
            return self._not_found("No such recipient.")
        # The dark views are the light view (placeholders included) as dark-mode clients show it.
        body = with_image_placeholders(renderings[index].body)
        if view in ("dark", "inverted"):
            from kmsg_authoring.render.dark import dark_variants

            body = dark_variants(body)[view]
        elif view == "outlook":
            from kmsg_authoring.review.outlook import approximate

            body = approximate(body)
        elif view:
            return self._not_found("No such view (dark, inverted or outlook).")
        # The email is shown as mail clients show it: no scripts run, whatever it holds.
        return _html(200, body, ("Content-Security-Policy", "sandbox allow-popups"), ("Cache-Control", "no-store"))

    def _template_page(self, state: TemplateState, sample_name: str | None, locale: str | None = None) -> Response:
        from kmsg_authoring.render.inbox import inbox_line
        from kmsg_authoring.render.samples import sample_names

        with self.site.lock:
            compiled = state.compiled
            view = TemplateView(
                slug=state.slug,
                name=str((compiled.payload.get("name") if compiled else None) or state.slug),
                epoch=state.epoch,
                built_at=state.built_at,
                errors=[*self.site.site_errors, *state.errors],
                findings=list(state.findings),
            )
        if compiled is not None and self.site.thumbnails is not None:
            view.changes = self.site.thumbnails.changes_panel(state.slug)
        if compiled is not None:
            view.samples = sample_names(self.site.config, compiled.folder)
            if sample_name is not None and sample_name not in view.samples:
                # A wrong ?sample= is a wrong address, not a build failure.
                known = ", ".join(view.samples) or "none: the preview makes one from the declared token types"
                return _html(
                    404,
                    not_found_page(
                        f"Template '{state.slug}' has no sample '{sample_name}'. Samples: {known}.",
                        self.site.current(state.slug),
                        state.slug,
                        links=[(f"/t/{quote(state.slug)}?sample={quote(n)}", n) for n in view.samples],
                    ),
                )
            try:
                sample, renderings = self.site.renderings(state, sample_name, locale)
            except KmsgError as exc:
                if str(exc) not in {str(e) for e in view.errors}:  # the build may have reported it already
                    view.errors.append(exc)
                renderings = []
            else:
                if state.locales:
                    view.locale = (
                        locale
                        or (sample.locale if sample.locale in state.locales else None)
                        or self.site.config.default_locale
                    )
                    view.locales = sorted(state.locales)
                view.sample = sample.name
                view.sample_generated = sample.path is None
                users = {str(u.get("id")): u for u in sample.users}
                segment = quote(sample.name if sample.path is not None else "-", safe="")
                in_locale = f"?locale={quote(view.locale)}" if view.locale else ""
                view.recipients = [
                    RecipientView(
                        _label(users.get(r.user_id, {}), r.user_id),
                        r,
                        f"/t/{quote(state.slug)}/email/{segment}/{i}.html{in_locale}",
                        tuple(locate_unresolved(compiled, u) for u in r.unresolved),
                        inbox_line(r),
                    )
                    for i, r in enumerate(renderings)
                ]
                view.contract = _contract_view(compiled, sample)
        if compiled is not None:
            shown = self.site.in_locale(state, view.locale)
            view.body = shown.body
            view.payload = shown.payload
            view.compat = _compat(self.site.config, shown)
            from kmsg_authoring.review.outlook import removed

            view.outlook_removed = list(removed(shown, self.site.config.root))
        return _html(200, template_page(view), ("Cache-Control", "no-store"))


# Only an image that failed to load gets ::before content (a loaded one is a replaced element), so
# this covers the browser's broken-image icon with a neutral box of the image's declared size and
# leaves every image that loads untouched.
IMAGE_PLACEHOLDER_CSS = (
    "img{position:relative}"
    "img::before{content:attr(alt);position:absolute;inset:0;display:flex;align-items:center;"
    "justify-content:center;overflow:hidden;background:#e9ebef;border:1px dashed #b6bcc6;color:#5f6672;"
    "font:12px/1.2 system-ui,sans-serif;text-align:center;box-sizing:border-box}"
)


_PLACEHOLDER_TAG = f'<style data-kmsg-preview="image-placeholder">{IMAGE_PLACEHOLDER_CSS}</style>'


def with_image_placeholders(html: str) -> str:
    """The email with the preview's placeholder style for images that cannot load (the frame's only addition)."""
    lower = html.lower()
    at = lower.find("</head>")
    if at < 0:
        at = lower.find("<body")
    return html[:at] + _PLACEHOLDER_TAG + html[at:] if at >= 0 else _PLACEHOLDER_TAG + html


def _compat(config: Config, compiled: CompiledTemplate) -> Any:
    """The template's client-support summary, or the error that kept it from being made."""
    from kmsg_authoring.lint.compat import summarize

    try:
        return summarize(compiled, config)
    except KmsgError as exc:
        return exc


def _contract_view(compiled: CompiledTemplate, sample: Sample) -> ContractView:
    """The Contract tab of a template, its example made from the sample shown."""
    from kmsg_authoring.contract.template import contract_schema
    from kmsg_authoring.contract.formats import rows, to_typescript
    from kmsg_authoring.contract.schema import ANNOTATION, send_example

    schema = contract_schema(compiled.payload, compiled.slug)
    info = schema[ANNOTATION]
    example = send_example(
        schema, sample.msg_params, sample.recipients, app_guid=str(compiled.payload.get("appGuid") or "") or None
    )
    return ContractView(
        rows(schema),
        list(info["userFields"]),
        list(info["inlineImages"]),
        json.dumps(example, indent=2, ensure_ascii=False),
        to_typescript([schema]),
        f"/t/{quote(compiled.slug)}/contract.schema.json",
    )


def translation_status(locales: dict[str, CompiledTemplate]) -> list[tuple[str, int, int]]:
    """(locale, messages missing, messages fuzzy) of each locale a template is built in."""
    from kmsg_authoring.compile.i18n import FUZZY, MISSING

    out = []
    for code, compiled in sorted(locales.items()):
        uses = {(u.msgid, u.state) for u in compiled.translations}
        out.append((code, sum(1 for _, st in uses if st == MISSING), sum(1 for _, st in uses if st == FUZZY)))
    return out


def _label(user: dict[str, Any], user_id: str) -> str:
    name = " ".join(str(user[f]) for f in ("firstName", "lastName") if user.get(f))
    return f"{name} <{user_id}>" if name else user_id
