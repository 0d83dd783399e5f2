"""Preview samples: `samples/<name>.yaml` files shaped like a message/send request.

A sample gives the recipients (`users`) and a value for every token the template declares
(`msgParams`). It is validated against a JSON Schema built from the template's msgParamsMap, so a
missing value, a value of the wrong shape for its token type, or a User token naming a user the
sample lacks is reported at the line of the sample file the designer edits.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from kmsg_authoring.errors import Location, SampleError, SourceError, UsageError, hide
from kmsg_authoring.model import (
    CURRENT_RECIPIENT,
    SEND_FIELDS,
    TOKEN_TYPES,
    TOKENS,
    USER_FIELDS,
    TokenType,
    sent_as,
    token_type,
)
from kmsg_authoring.source.project import SAMPLES_DIR, YamlDoc, discover, load_yaml, read_text
from kmsg_authoring.source.targets import template_doc

if TYPE_CHECKING:
    from kmsg_authoring.compile.types import CompiledTemplate
    from kmsg_authoring.source.config import Config

DEFAULT_SAMPLE = "default"
SAMPLE_SUFFIX = ".yaml"
DEV_SECRET = "dev-only-secret-change-me"

_USER_VALUE = {"type": ["string", "number", "boolean", "null"]}


def sample_schema(msg_params_map: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON Schema a sample for a template with this msgParamsMap must satisfy."""
    params: dict[str, Any] = {}
    for name, decl in msg_params_map.items():
        kind = token_type(decl.get("type")) if isinstance(decl, Mapping) else None
        if kind is None:
            continue  # the compiler reports an undeclared or unknown type
        sent = sent_as(kind)
        params[name] = {
            "type": "object",
            "required": ["type", "value"],
            "properties": {
                "type": {"enum": [t.value for t in sent]} if len(sent) > 1 else {"const": kind.value},
                "value": TOKENS[kind].value_schema,
            },
            "additionalProperties": False,
            # A token that resolves by its value may be sent typed as what it resolves to; the value must
            # then fit that type.
            "allOf": [
                {
                    "if": {"properties": {"type": {"const": t.value}}},
                    "then": {"properties": {"value": TOKENS[t].value_schema}},
                }
                for t in sent
                if t != kind
            ],
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["msgParams"],
        "properties": {
            "users": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {
                        f: ({"type": "string", "minLength": 1} if f == "id" else _USER_VALUE) for f in USER_FIELDS
                    },
                    "additionalProperties": False,
                },
            },
            # The locale the preview shows the sample in (a template built per locale).
            "locale": {"type": "string", "pattern": r"^[a-z]{2,3}(_[A-Za-z0-9]{2,8})*$"},
            "msgParams": {
                "type": "object",
                "required": sorted(params),
                "properties": params,
                "additionalProperties": {
                    "type": "object",
                    "required": ["type", "value"],
                    "properties": {"type": {"enum": list(TOKEN_TYPES)}, "value": {}},
                },
            },
        },
        "propertyNames": {"enum": ["users", "locale", *SEND_FIELDS]},
    }


@dataclass(frozen=True)
class Sample:
    """A sample's recipients and token values, ready for the renderer."""

    name: str
    path: str | None  # project-relative file; None for a sample made from the declared types
    users: list[dict[str, Any]] = field(default_factory=list)
    msg_params: dict[str, Any] = field(default_factory=dict)
    locale: str | None = None  # the locale the preview shows it in (`locale: fr` in the sample file)

    @property
    def recipients(self) -> list[str]:
        """User ids that each get their own rendering: every user of the sample."""
        return [str(u["id"]) for u in self.users]


def _hint(name: object) -> str:
    """How a value of the named token type is written; empty for an unknown type."""
    kind = token_type(name)
    return TOKENS[kind].value_hint if kind is not None else ""


def _dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(error: Any, msg_params_map: Mapping[str, Any]) -> tuple[tuple[Any, ...], str]:
    """Where (keys into the YAML document) and what, for one jsonschema error."""
    path = tuple(error.absolute_path)
    validator = error.validator
    declared = {n: d.get("type") for n, d in msg_params_map.items() if isinstance(d, Mapping)}
    if validator == "required":
        # One error per missing property: name the one this error is about, not the first missing.
        absent = [m for m in error.validator_value if m not in error.instance]
        missing = next((m for m in absent if error.message.startswith(f"{m!r} ")), absent[0] if absent else "")
        if path == ("msgParams",):
            t = declared.get(missing, "?")
            return path, f"no value for token '{missing}' (msgParamsMap declares a {t} token: {_hint(t)})"
        if path == ():
            return path, f"missing '{missing}' (the token values, name -> {{type, value}})"
        return path, f"{_dotted(path)} is missing '{missing}'"
    if "propertyNames" in error.schema_path:
        bad = error.instance
        close = difflib.get_close_matches(str(bad), ["users", "locale", *SEND_FIELDS], 1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return (*path, bad), f"unknown key '{bad}'{hint}"
    if validator == "additionalProperties" and len(path) == 2 and path[0] == "users":
        extra = sorted(set(error.instance) - set(USER_FIELDS))
        bad = extra[0] if extra else "?"
        close = difflib.get_close_matches(bad, USER_FIELDS, 1)
        hint = f" (did you mean '{close[0]}'?)" if close else f" (User fields: {', '.join(USER_FIELDS)})"
        return (*path, bad), f"unknown User field '{bad}'{hint}"
    if validator in ("const", "enum") and len(path) == 3 and path[2] == "type":
        t = declared.get(str(path[1]))
        kind = token_type(t)
        also = [x.value for x in sent_as(kind) if x != kind] if kind is not None else []
        return path, (
            f"{_dotted(path)} is '{error.instance}' but msgParamsMap declares '{t}'"
            + (f" (a {t} token may also be sent as {' or '.join(also)})" if also else "")
        )
    if len(path) >= 3 and path[0] == "msgParams" and path[2] == "value":
        t = str(declared.get(str(path[1]), ""))
        hint = _hint(t)
        what = error.message if validator != "oneOf" else f"{error.instance!r} is neither text nor a MagicLink"
        if validator == "pattern":
            what = f"{error.instance!r} is not a valid value here"
        return path, f"{_dotted(path)}: {what}; a {t} value is {hint}" if t else f"{_dotted(path)}: {what}"
    return path, f"{_dotted(path) or 'sample'}: {error.message}"


def validate_sample(doc: YamlDoc, msg_params_map: Mapping[str, Any]) -> list[SourceError]:
    """Every problem of a parsed sample, each at its line in the sample file."""
    from kmsg_authoring.source.jsonschema_lite import iter_problems

    schema = sample_schema(msg_params_map)
    found: list[tuple[Location, str]] = []
    # The small validator answers "valid?" without importing jsonschema (a pre-commit hook's start-up
    # matters); jsonschema's detailed errors are worth their import only for an invalid sample.
    if any(iter_problems(doc.data, schema)):
        import jsonschema

        for error in jsonschema.Draft202012Validator(schema).iter_errors(doc.data):
            path, message = _message(error, msg_params_map)
            found.append((doc.locate(*path), message))
    if not found:
        found.extend(_check_users(doc, msg_params_map))
    found.sort(key=lambda f: (f[0].line, f[0].col))
    return [SampleError(_redact(message, doc.data), loc) for loc, message in found]


def _secrets(data: Any) -> list[str]:
    """The JwtQrCode secrets of a sample, longest first."""
    params = data.get("msgParams") if isinstance(data, Mapping) else None
    found = set()
    for param in params.values() if isinstance(params, Mapping) else ():
        value = param.get("value") if isinstance(param, Mapping) else None
        secret = value.get("secret") if isinstance(value, Mapping) else None
        if secret is not None and str(secret):
            found.add(str(secret))
    return sorted(found, key=len, reverse=True)


def _redact(message: str, data: Any) -> str:
    """A message with every sample secret shown as <hidden>: problems get printed and served."""
    for secret in _secrets(data):
        message = hide(message, repr(secret), secret)
    return message


def _check_users(doc: YamlDoc, msg_params_map: Mapping[str, Any]) -> list[tuple[Location, str]]:
    """What the schema cannot say: user ids are unique, User tokens name a user of the sample."""
    found: list[tuple[Location, str]] = []
    users = doc.data.get("users") or []
    ids: dict[str, int] = {}
    for i, user in enumerate(users):
        uid = str(user["id"])
        if uid in ids:
            found.append(
                (doc.locate("users", i, "id"), f"user id '{uid}' is listed twice (first as users[{ids[uid]}])")
            )
        ids.setdefault(uid, i)
    for name, param in doc.data.get("msgParams", {}).items():
        if param.get("type") != TokenType.USER:
            continue
        value = param.get("value")
        if value == CURRENT_RECIPIENT:
            if not users:
                found.append(
                    (
                        doc.locate("msgParams", name, "value"),
                        f"msgParams.{name} is {CURRENT_RECIPIENT} but the sample has no users",
                    )
                )
        elif value not in ids:
            known = ", ".join(ids) or "none"
            found.append(
                (
                    doc.locate("msgParams", name, "value"),
                    (
                        f"msgParams.{name}: user '{value}' is not in users (known: {known}); "
                        f"add it to users or use {CURRENT_RECIPIENT}"
                    ),
                )
            )
    return found


def sample_rel(folder: str, name: str) -> str:
    """Project-relative path of a template's sample file."""
    return f"{folder}/{SAMPLES_DIR}/{name}{SAMPLE_SUFFIX}"


def sample_names(config: Config, folder: str) -> list[str]:
    """Names of the sample files of a template folder (project-relative), default first."""
    directory = config.root / folder / SAMPLES_DIR
    if not directory.is_dir():
        return []
    # Every entry counts, files or not: a FIFO or folder named like a sample is an error where it is
    # read, never skipped silently.
    names = sorted(p.name[: -len(SAMPLE_SUFFIX)] for p in directory.glob(f"*{SAMPLE_SUFFIX}"))
    return sorted(names, key=lambda n: (n != DEFAULT_SAMPLE, n))


def parse_sample(text: str, rel: str, name: str, msg_params_map: Mapping[str, Any]) -> Sample:
    """A sample from its YAML text; the first problem raises SampleError at its line."""
    doc = _sample_yaml(text, rel)
    errors = validate_sample(doc, msg_params_map)
    if errors:
        raise errors[0]
    locale = doc.data.get("locale")
    return Sample(
        name=name,
        path=rel,
        users=[dict(u) for u in doc.data.get("users") or []],
        msg_params=dict(doc.data["msgParams"]),
        locale=locale if isinstance(locale, str) else None,
    )


def load_sample(config: Config, compiled: CompiledTemplate, name: str | None = None) -> Sample:
    """The named sample of a template; without a name `default`, else the first, else one made from the types."""
    names = sample_names(config, compiled.folder)
    msg_map = compiled.payload.get("msgParamsMap") or {}
    if name is None:
        if not names:
            return generated_sample(compiled.payload)
        name = names[0]
    if name not in names:
        known = ", ".join(names) or f"none; run `kmsg-author samples init {compiled.slug}`"
        raise UsageError(f"template '{compiled.slug}' has no sample '{name}' (samples: {known})")
    rel = sample_rel(compiled.folder, name)
    return parse_sample(_sample_text(config, rel), rel, name, msg_map)


def _sample_text(config: Config, rel: str) -> str:
    """A sample file's text; an unreadable one (a FIFO, a folder, bad UTF-8) is a SampleError at it."""
    try:
        return read_text(config.root / rel, rel, root=config.root)
    except SampleError:
        raise
    except SourceError as exc:
        raise SampleError(exc.message, exc.location) from None


def _sample_yaml(text: str, rel: str) -> YamlDoc:
    try:
        return load_yaml(text, rel)
    except SampleError:
        raise
    except SourceError as exc:
        raise SampleError(exc.message, exc.location) from None


def check_sample_files(config: Config, folder: str, payload: Mapping[str, Any]) -> list[SourceError]:
    """Every problem of every sample file of a template folder, against the template's msgParamsMap."""
    msg_map = payload.get("msgParamsMap") or {}
    if not isinstance(msg_map, Mapping):
        return []
    errors: list[SourceError] = []
    for name in sample_names(config, folder):
        rel = sample_rel(folder, name)
        try:
            doc = _sample_yaml(_sample_text(config, rel), rel)
        except SampleError as exc:
            errors.append(exc)
            continue
        errors.extend(validate_sample(doc, msg_map))
        locale = doc.data.get("locale")
        if isinstance(locale, str) and locale not in config.locales:
            known = ", ".join(config.locales) or "none: add [i18n] locales to kmsg.toml"
            errors.append(
                SampleError(f"locale '{locale}' is not one of [i18n] locales ({known})", doc.locate("locale"))
            )
    return errors


def check_samples(config: Config, compiled: CompiledTemplate) -> list[SourceError]:
    """Every problem of every sample file of a compiled template."""
    return check_sample_files(config, compiled.folder, compiled.payload)


SAMPLE_USER: dict[str, Any] = {
    "id": "jane.doe@example.com",
    "partnerId": 123456,
    "externalId": "ext-0001",
    "firstName": "Jane",
    "lastName": "Doe",
    "email": "jane.doe@example.com",
    "fullName": "Jane Doe",
    "screenName": "jdoe",
    "dateOfBirth": "1990-04-09",
    "gender": "female",
    "thumbnailUrl": "https://example.com/avatars/jane.png",
    "description": "Sample attendee",
    "title": "Head of Events",
    "country": "US",
    "company": "Acme Corp",
    "state": "NY",
    "city": "New York",
    "zip": "10001",
}
if tuple(SAMPLE_USER) != USER_FIELDS:
    raise RuntimeError("SAMPLE_USER must give every User field, in order")


# What a generated sample gives each token type: a value that fits it, for a token of this name.
_EXAMPLES: dict[TokenType, Callable[[str], Any]] = {
    TokenType.USER: lambda name: CURRENT_RECIPIENT,
    TokenType.STRING: lambda name: f"Sample {name}",
    TokenType.DYNAMIC: lambda name: f"Sample {name}",
    TokenType.MAGIC_LINK: lambda name: {
        "baseURL": "https://events.example.com/login",
        "expiry": 48,
        "privileges": "actionslimit:2",
    },
    TokenType.UNSUBSCRIBE_URI: lambda name: "https://events.example.com/unsubscribe",
    TokenType.JWT_QR_CODE: lambda name: {
        "payload": {"token": name, "eventId": "12345"},
        "secret": DEV_SECRET,
        "options": {"color": {"dark": "#000000", "light": "#ffffff"}},
    },
}
if set(_EXAMPLES) != set(TokenType):
    raise RuntimeError("every token type needs a sample value in _EXAMPLES")


def default_sample(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A sample (as plain data) made from a template's declared token types."""
    params: dict[str, Any] = {}
    declared = payload.get("msgParamsMap")
    for name, decl in declared.items() if isinstance(declared, Mapping) else ():
        kind = token_type(decl.get("type")) if isinstance(decl, Mapping) else None
        if kind is not None:
            params[name] = {"type": kind.value, "value": _EXAMPLES[kind](name)}
    return {"users": [dict(SAMPLE_USER)], "msgParams": params}


def generated_sample(payload: Mapping[str, Any]) -> Sample:
    """The sample a template without sample files previews with."""
    data = default_sample(payload)
    return Sample(name=DEFAULT_SAMPLE, path=None, users=data["users"], msg_params=data["msgParams"])


def sample_yaml(payload: Mapping[str, Any]) -> str:
    """The default sample as a YAML file for the designer to edit."""
    head = (
        "# Preview sample, shaped like a message/send request.\n"
        "# users: the recipients; each gets their own rendering.\n"
        f"# msgParams: a value per token of msgParamsMap ({CURRENT_RECIPIENT} = each recipient).\n"
    )
    body = yaml.safe_dump(default_sample(payload), sort_keys=False, allow_unicode=True, width=100)
    return head + str(body)


def init_sample(
    config: Config, folder: str, payload: Mapping[str, Any], *, name: str = DEFAULT_SAMPLE, force: bool = False
) -> Path:
    """Write the default sample of a template folder to samples/<name>.yaml; refuses to overwrite without force."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise UsageError(f"'{name}' is not a sample name (a file name without folders)")
    path = config.root / sample_rel(folder, name)
    if path.exists() and not force:
        raise UsageError(f"{config.rel(path)} exists; pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(sample_yaml(payload), encoding="utf-8")
    return path


def init_template_sample(config: Config, slug: str, *, name: str = DEFAULT_SAMPLE, force: bool = False) -> Path:
    """Write the default sample of a template (by slug) to its samples/<name>.yaml."""
    folder, doc = template_doc(config, slug)
    return init_sample(config, folder, doc.data, name=name, force=force)


@dataclass
class SamplesCheck:
    """What checking the sample files of some templates found."""

    templates: int
    files: int = 0
    errors: list[SourceError] = field(default_factory=list)


def check_template_samples(config: Config, slugs: Sequence[str] = ()) -> SamplesCheck:
    """Validate every sample file of the given templates (default: all) against its template."""
    slugs = list(slugs) or discover(config.src_dir)
    result = SamplesCheck(len(slugs))
    for slug in slugs:
        folder, doc = template_doc(config, slug)
        result.files += len(sample_names(config, folder))
        result.errors.extend(check_sample_files(config, folder, doc.data))
    return result
