"""Preview samples: `samples/<name>.yaml` files shaped like a message/send request.

A sample gives the recipients (`users`) and a value for every token the template declares
(`msgParams`). It is validated against a JSON Schema built from the template's msgParamsMap, so a
missing value, a value of the wrong shape for its token type, or a User token naming a user the
sample lacks is reported at the line of the sample file the designer edits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from kmsg_authoring.errors import SampleError, SourceError, UsageError
from kmsg_authoring.model import (
    CURRENT_RECIPIENT,
    USER_FIELDS,
    TokenType,
    token_type,
)
from kmsg_authoring.source.project import SAMPLES_DIR, YamlDoc, discover, load_yaml, read_text
from kmsg_authoring.source.targets import template_doc
from kmsg_authoring.render.sample_schema import validate_sample

if TYPE_CHECKING:
    from kmsg_authoring.compile.types import CompiledTemplate
    from kmsg_authoring.source.config import Config

DEFAULT_SAMPLE = "default"
SAMPLE_SUFFIX = ".yaml"
DEV_SECRET = "dev-only-secret-change-me"


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
