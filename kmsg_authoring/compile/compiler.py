"""Template sources in, a compiled template out: Jinja2, CSS inlining with tokens shielded, token extraction."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from kmsg_authoring.compile.env import CompileEnv as CompileEnv
from kmsg_authoring.compile.extract import DEPTH_CHECK_FROM, Context, TooDeep, contexts, parse_complete
from kmsg_authoring.compile.inline import inline_css
from kmsg_authoring.compile.jinja_errors import jinja_error
from kmsg_authoring.compile.loader import prepare
from kmsg_authoring.compile.stylesheets import link_stylesheets, token_rules
from kmsg_authoring.compile.schema import validate_template_yaml
from kmsg_authoring.compile.tokens import (
    PLACEHOLDER_PREFIX,
    PLACEHOLDER_RE,
    TOKEN_RE,
    find_source_tokens,
    find_tokens,
    number_of_tokens_used,
)
from kmsg_authoring.compile.types import MARK_RE, CompiledTemplate, TokenRef, Where, WHERE_FIELDS
from kmsg_authoring.source.config import Config
from kmsg_authoring.errors import BuildError, KmsgError, Location, SourceError
from kmsg_authoring.model import ADD_FIELDS, DEFAULT_STATUS, LOCALE_TAG_PREFIX

if TYPE_CHECKING:
    pass
from kmsg_authoring.source.project import (
    BODY_FILE,
    BODY_MJML,
    TEMPLATE_FILE,
    body_file,
    LineIndex,
    YamlDoc,
    confine,
    digest,
    lexical_rel,
    load_yaml,
    read_text,
)
from kmsg_authoring.model import FROM_NAME, SUBJECT, TO_ATTRIBUTE_PATH

__all__ = ["CompileEnv", "CompiledTemplate", "TokenRef", "compile_template", "find_tokens"]

_STYLE_BLOCK = re.compile(r"<style\b[^>]*>.*?</style\s*>", re.DOTALL | re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_KEEP_STYLE = '<style data-css-inline="ignore">'
# Blocks the inliner was told to leave alone (token rules copied above, MRML's own head styles) lose the mark after.
_KEPT_STYLE = re.compile(r'<style data-css-inline="ignore"(?: data-premailer="ignore")?')


class _Compiler:
    """Compiles one template; holds the per-template state of the pipeline."""

    def __init__(self, env: CompileEnv, slug: str, locale: str | None = None) -> None:
        self.env = env
        # The locale this compile is in: the one asked for, else the project's default (None without [i18n]).
        self.locale = locale or env.config.default_locale or None
        self.config = env.config
        self.slug = slug
        self.folder = self.config.src_dir / slug
        # A template folder symlinked outside the project is refused before anything in it is read.
        self.rel_folder = confine(self.config.root, self.folder, lexical_rel(self.config.root, self.folder))
        self.meta_rel = f"{self.rel_folder}/{TEMPLATE_FILE}"
        # body.mjml alone makes an MJML template; which body it has is checked when the body is read.
        only_mjml = (self.folder / BODY_MJML).is_file() and not (self.folder / BODY_FILE).is_file()
        self.body_name = BODY_MJML if only_mjml else BODY_FILE
        self.body_rel = f"{self.rel_folder}/{self.body_name}"
        self.deps: set[str] = {self.meta_rel, self.body_rel}
        self.notes: list[tuple[str, str, Location]] = []
        # The metadata every later step reads: read and checked before anything else happens.
        if not (self.folder / TEMPLATE_FILE).is_file():
            raise SourceError(f"missing {TEMPLATE_FILE}", Location(self.meta_rel))
        self.meta_text = read_text(self.folder / TEMPLATE_FILE, self.meta_rel, root=self.config.root)
        self.meta_index = LineIndex(self.meta_text)
        self.meta: YamlDoc = load_yaml(self.meta_text, self.meta_rel)
        validate_template_yaml(self.meta)

    # -- errors ---------------------------------------------------------------------------------
    def _jinja_error(self, exc: Exception, default: Location) -> KmsgError:
        declared = self.meta.data.get("msgParamsMap")
        return jinja_error(
            exc, default, self.config, self.env.jinja.loaded, declared if isinstance(declared, dict) else {}
        )

    # -- fields -----------------------------------------------------------------------------------
    def _field_location(self, field: str, raw: str, nth: int) -> Location:
        """Where the nth occurrence of raw stands in the value of a template.yaml field."""
        key = self.meta.locate(field)
        start = self.meta_index.starts[key.line - 1] if key.line - 1 < len(self.meta_index.starts) else 0
        pos = start - 1
        for _ in range(nth + 1):
            pos = self.meta_text.find(raw, pos + 1)
            if pos == -1:
                return key
        line, col = self.meta_index.line_col(pos)
        return Location(key.path, line, col)

    def _field(self, field: str, jinja_on: bool, render: bool, variables: dict[str, Any]) -> tuple[str, list[TokenRef]]:
        value = self.meta.data.get(field)
        if not isinstance(value, str):
            return "", []
        # Only the fields that carry tokens collect references (a description is text for people).
        place = Where(field) if field in WHERE_FIELDS else None
        seen: Counter[str] = Counter()
        refs: list[TokenRef] = []
        for tok in find_source_tokens(value, jinja_on and render) if place is not None else ():
            where = self._field_location(field, tok.raw, seen[tok.raw])
            refs.append(TokenRef(tok.name, tok.field, tok.raw, Where(field), where))
            seen[tok.raw] += 1
        if not (jinja_on and render):
            return value, refs
        shield = self.env.shield
        loc = self.meta.locate(field)
        shielded = prepare(value, self.meta_rel, shield, None, jinja=True)
        self.env.jinja.default_location = loc
        try:
            jinja = self.env.jinja
            text = jinja.render_limited(jinja.from_string(shielded), variables)
        except Exception as exc:  # noqa: BLE001 - every Jinja failure becomes a located error
            raise self._jinja_error(exc, loc) from None
        text = shield.restore(text)
        # References the Jinja expressions produced (rare) are reported at the field.
        written = Counter(r.raw for r in refs)
        for tok in find_tokens(text) if place is not None else ():
            if written[tok.raw] > 0:
                written[tok.raw] -= 1
            else:
                refs.append(TokenRef(tok.name, tok.field, tok.raw, Where(field), loc))
        return text, refs

    # -- body ---------------------------------------------------------------------------------------
    def _render_body(self, jinja_on: bool, variables: dict[str, Any]) -> str:
        body_file(self.folder, self.rel_folder)
        if not jinja_on:
            text = read_text(self.folder / self.body_name, self.body_rel, root=self.config.root)
            return prepare(text, self.body_rel, self.env.shield, self.env.marks, jinja=False)
        jinja = self.env.jinja
        jinja.loaded.clear()
        jinja.default_location = Location(self.body_rel)
        try:
            template = jinja.get_template(f"{self.slug}/{self.body_name}")
            return jinja.render_limited(template, variables)
        except Exception as exc:  # noqa: BLE001 - every Jinja failure becomes a located error
            raise self._jinja_error(exc, Location(self.body_rel)) from None
        finally:
            self.deps.update(self.config.rel(self.config.src_dir / n) for n in jinja.loaded)
            self.notes.extend(jinja.outside_blocks(lambda n: self.config.rel(self.config.src_dir / n)))

    def _mjml(self, mjml: str) -> str:
        """MJML (tokens shielded, elements marked) -> HTML through MRML; see compile/mjml_check.py."""
        from kmsg_authoring.compile.mjml_html import to_html

        return to_html(
            mjml,
            root=self.config.root,
            marks=self.env.marks,
            shield=self.env.shield,
            options=self.config.mjml,
            default=Location(self.body_rel),
            on_read=self.deps.add,
            time_limit=self.config.render_time_limit,
            size_limit=self.config.render_size_limit,
            notes=self.notes,
        )

    def _refuse_unshielded(self, html: str) -> None:
        """Every reference was shielded where it was written (sources) or produced (Jinja output).

        A reference that only exists once Jinja joined its pieces ({{ "{" }}name}) has no place
        the designer wrote it; it is refused rather than guessed at.
        """
        m = TOKEN_RE.search(html)
        if m is not None:
            loc = self.env.marks.locate(html, m.start()) or Location(self.body_rel)
            raise BuildError(
                f"token reference {m.group(0)} is assembled by Jinja from pieces; write it in one piece", loc
            )

    def _keep_css_tokens(self, html: str) -> str:
        """Copy style rules holding tokens into a block the inliner leaves alone.

        The cascade may override an inlined declaration that carries a token (a more specific rule
        wins), which would drop the token silently; the copy keeps it in the head, where clients that
        support <style> still apply it.
        """
        if PLACEHOLDER_PREFIX not in html:
            return html
        comments = [m.span() for m in _COMMENT.finditer(html)]

        def copy(m: re.Match[str]) -> str:
            if PLACEHOLDER_PREFIX not in m.group(0) or any(a <= m.start() < b for a, b in comments):
                return m.group(0)
            if _KEPT_STYLE.match(m.group(0)):  # never inlined, so nothing to keep a copy of
                return m.group(0)
            rules = token_rules(m.group(0)[m.group(0).index(">") + 1 :])
            return m.group(0) + (_KEEP_STYLE + "\n".join(rules) + "</style>" if rules else "")

        return _STYLE_BLOCK.sub(copy, html)

    def _check_preserved(self, before: str, after: str) -> None:
        """The inliner kept every shielded reference and made none up."""
        pre = Counter(PLACEHOLDER_RE.findall(before))
        post = Counter(PLACEHOLDER_RE.findall(after))
        in_css = {i for block in _STYLE_BLOCK.findall(before) for i in PLACEHOLDER_RE.findall(block)}
        engine = self.config.inliner
        for index, count in sorted(pre.items()):
            kept = post.get(index, 0)
            ok = kept >= 1 if index in in_css else kept == count
            if not ok:
                entry = self.env.shield.entries[int(index)]
                what = "dropped" if kept < count else "duplicated"
                raise BuildError(
                    f"the CSS inliner ({engine}) {what} token {entry.raw} ({count} before, {kept} after)",
                    Location(entry.path or self.body_rel, entry.line, entry.col),
                )
        for index in sorted(set(post) - set(pre)):
            raise BuildError(
                f"the CSS inliner ({engine}) produced an unknown placeholder {index}", Location(self.body_rel)
            )
        for tok in find_tokens(after):
            loc = self.env.marks.locate(after, tok.start) or Location(self.body_rel)
            raise BuildError(f"the CSS inliner ({engine}) made up a token reference {tok.raw}", loc)

    def _too_deep(self, html: str, exc: TooDeep) -> BuildError:
        loc = self.env.marks.locate(html, exc.offset) or Location(self.body_rel)
        return BuildError(
            "elements nest deeper than an HTML parser can represent (about 2,000 levels); the rest of the "
            "document would be neither checked nor kept: close the elements left open",
            loc,
        )

    def _refuse_too_deep(self, html: str) -> None:
        """Refuse a document nested too deep, before an inliner crashes on it or drops its end."""
        if html.count("<") >= DEPTH_CHECK_FROM:
            try:
                parse_complete(html)
            except TooDeep as exc:
                raise self._too_deep(html, exc) from None

    def _within_budget(self, html: str, jinja_on: bool) -> None:
        """The render's time and size limits hold for the whole template: its body as inlined too."""
        from kmsg_authoring.compile.jinja_budgets import RenderLimitError, check_size

        try:
            if jinja_on:
                self.env.jinja.check_time()
            check_size(len(html), self.config.render_size_limit, "the body with its CSS inlined")
        except RenderLimitError as exc:
            raise BuildError(str(exc), Location(self.body_rel)) from None

    def _body_refs(self, inlined: str) -> tuple[str, list[TokenRef]]:
        """Restore the tokens of the inlined body; the references with their context and offset."""
        by_index: dict[int, list[Context]] = defaultdict(list)
        try:
            found_contexts = contexts(inlined)
        except TooDeep as exc:
            raise self._too_deep(inlined, exc) from None
        for found_ctx in found_contexts:
            by_index[found_ctx.index].append(found_ctx)
        stripped = MARK_RE.sub("", inlined)
        seen: Counter[int] = Counter()
        out: list[str] = []
        refs: list[TokenRef] = []
        last = 0
        length = 0
        for m in PLACEHOLDER_RE.finditer(stripped):
            index = int(m.group(1))
            entry = self.env.shield.entries[index]
            found = by_index.get(index, [])
            ctx: Context | None = found[seen[index]] if seen[index] < len(found) else None
            seen[index] += 1
            chunk = stripped[last : m.start()]
            out.append(chunk)
            length += len(chunk)
            refs.append(
                TokenRef(
                    name=entry.name,
                    field=entry.field,
                    raw=entry.raw,
                    where=ctx.where if ctx else Where.TEXT,
                    location=Location(entry.path or self.body_rel, entry.line, entry.col),
                    element=ctx.element if ctx else None,
                    attribute=ctx.attribute if ctx else None,
                    mso=ctx.mso if ctx else False,
                    offset=length,
                )
            )
            # The canonical spelling is what the API substitutes (&#123;x&#125; would reach recipients as {x}).
            text = entry.text
            out.append(text)
            length += len(text)
            last = m.end()
        out.append(stripped[last:])
        return "".join(out), refs

    def compile(self) -> CompiledTemplate:
        """The compiled template: body, fields, tokens and the source map."""
        data = self.meta.data
        settings: dict[str, Any] = dict(data.get("kmsg") or {})
        jinja_on = bool(settings.get("jinja", True))
        translator = self.env.translator
        translator.begin(self.locale)
        if jinja_on:
            self.env.jinja.start_budget()
        variables = {
            "brand": dict(self.config.brand),
            "template": {"slug": self.slug, "name": data.get("name", self.slug)},
            "locale": self._locale_variable(),
        }
        subject, subject_refs = self._field(SUBJECT, jinja_on, True, variables)
        from_name, from_refs = self._field(FROM_NAME, jinja_on, True, variables)
        _, to_refs = self._field(TO_ATTRIBUTE_PATH, jinja_on, False, variables)
        description = self._description(jinja_on, variables)

        rendered = self._render_body(jinja_on, variables)
        # A template is built per locale when its text goes through gettext ({% trans %}, _()).
        locale = self.locale if translator.translatable and self.config.locales else None
        if locale is not None:
            from kmsg_authoring.compile.i18n import set_language

            # In MJML the root element carries lang and dir: MRML writes them on <html> and on the
            # email's wrapper, so the two agree.
            rendered = set_language(rendered, locale, "mjml" if self.body_name == BODY_MJML else "html")
            self.deps.update(translator.files)
        if jinja_on:
            self._refuse_unshielded(rendered)
        if self.body_name == BODY_MJML:
            rendered = self._mjml(rendered)
        policy = settings.get("remote_stylesheets", self.config.remote_stylesheets)
        rendered = link_stylesheets(
            rendered, policy, self.config, self.env.shield, self.env.marks, self.body_rel, self.deps
        )
        self._refuse_too_deep(rendered)
        if settings.get("inline_css", True):
            source = self._keep_css_tokens(rendered)
            inlined = _KEPT_STYLE.sub("<style", inline_css(source, self.config.inliner, self.config.preserve_cascade))
            self._check_preserved(rendered, inlined)
        else:
            # MRML's own head styles were marked for the inliner; without one, the mark goes all the same.
            inlined = _KEPT_STYLE.sub("<style", rendered) if self.body_name == BODY_MJML else rendered
        self._within_budget(inlined, jinja_on)
        unminified_bytes = None
        if self.config.minify or self.config.remove_unused_css:
            unminified_bytes = len(self.env.shield.restore_canonical(MARK_RE.sub("", inlined)).encode("utf-8"))
        if self.config.remove_unused_css:
            from kmsg_authoring.compile.purge import remove_unused_css

            inlined = remove_unused_css(inlined)
        if self.config.minify:
            from kmsg_authoring.compile.minify import minify

            inlined = minify(inlined)
        body, body_refs = self._body_refs(inlined)
        marked_body = self.env.shield.restore_canonical(inlined)
        rendered_out = self.env.shield.restore(rendered)
        source_map = self.env.marks.subset(marked_body, rendered_out)

        payload: dict[str, Any] = {}
        for field in ADD_FIELDS:
            if field == "body":
                payload["body"] = body
            elif field == SUBJECT and SUBJECT in data:
                payload[SUBJECT] = subject
            elif field == FROM_NAME and FROM_NAME in data:
                payload[FROM_NAME] = from_name
            elif field == "status":
                payload["status"] = data.get("status", DEFAULT_STATUS)
            elif field == "description" and description is not None:
                payload["description"] = description
            elif field in data:
                payload[field] = data[field]
        if locale is not None:
            self._localize_payload(payload, locale)
        canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return CompiledTemplate(
            slug=self.slug,
            folder=self.rel_folder,
            payload=payload,
            tokens=tuple(subject_refs + from_refs + to_refs + body_refs),
            meta=self.meta,
            settings=settings,
            marked_body=marked_body,
            rendered=rendered_out,
            source_map=source_map,
            dependencies=tuple(sorted(self.deps)),
            content_hash=digest(canonical.encode("utf-8")),
            number_of_tokens_used=number_of_tokens_used(payload),
            locale=locale,
            translations=tuple(translator.used) if locale is not None else (),
            notes=tuple(self.notes),
            unminified_bytes=unminified_bytes,
        )

    # -- locales ----------------------------------------------------------------------------------
    def _locale_variable(self) -> dict[str, str]:
        """{{ locale.code }}, {{ locale.lang }} and {{ locale.dir }} at build time."""
        from kmsg_authoring.compile.i18n import direction, html_lang

        code = self.locale or ""
        return {"code": code, "lang": html_lang(code) if code else "", "dir": direction(code) if code else "ltr"}

    def _description(self, jinja_on: bool, variables: dict[str, Any]) -> str | None:
        """The description rendered when it holds Jinja (`{{ _("...") }}` makes it translatable), else None."""
        value = self.meta.data.get("description")
        if not (jinja_on and isinstance(value, str) and ("{{" in value or "{%" in value)):
            return None
        return self._field("description", True, True, variables)[0]

    def _localize_payload(self, payload: dict[str, Any], locale: str) -> None:
        """Each locale is its own remote template: `<name> [<locale>]` and `locale:<code>` in adminTags."""
        if locale != self.config.default_locale or self.config.suffix_default_locale:
            payload["name"] = f"{payload.get('name', self.slug)} [{locale}]"
        tags = [t.strip() for t in str(payload.get("adminTags") or "").split(",") if t.strip()]
        tags = [t for t in tags if not t.startswith(LOCALE_TAG_PREFIX)] + [f"{LOCALE_TAG_PREFIX}{locale}"]
        payload["adminTags"] = ",".join(tags)


def compile_template(
    config: Config, slug: str, *, env: CompileEnv | None = None, locale: str | None = None
) -> CompiledTemplate:
    """Compile templates_src/<slug>/ into its API payload (in a locale: the default one when None);
    raises SourceError or BuildError."""
    return _Compiler(env or CompileEnv(config), slug, locale).compile()
