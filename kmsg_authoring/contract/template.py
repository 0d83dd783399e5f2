"""A template's contract from its payload, and how two contracts differ for the callers.

The schema of msgParams comes from kmsg_authoring.contract.schema; this module adds what only the
template's texts tell: where each token is used (subject, fromName, toAttributePath, body), which
User fields it reads, and which `cid:` images the caller must attach. It works on an
email-template payload, so a local compiled template and a published remote one give contracts
that compare like for like.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kmsg_authoring.model import find_tokens
from kmsg_authoring.contract.schema import (
    ANNOTATION,
    USER,
    Schema,
    inline_images,
    params_schema,
    sent_as_names,
)
from kmsg_authoring.model import TOKEN_TEXT_FIELDS

# Where a token can be used, in the order the contract lists them.
PLACES: tuple[str, ...] = (*TOKEN_TEXT_FIELDS, "body")
SCHEMA_ID = "https://kmsg-author.dev/contracts/{slug}.schema.json"
BREAKING, COMPATIBLE = "breaking", "compatible"


def usage(payload: Mapping[str, Any]) -> dict[str, dict[str, list[str]]]:
    """Token name -> {"usedIn": places, "fields": User fields read}, from the payload's texts."""
    found: dict[str, dict[str, list[str]]] = {}
    for place in PLACES:
        text = payload.get(place)
        if not isinstance(text, str):
            continue
        for token in find_tokens(text):
            entry = found.setdefault(token.name, {"usedIn": [], "fields": []})
            if place not in entry["usedIn"]:
                entry["usedIn"].append(place)
            if token.field is not None and token.field not in entry["fields"]:
                entry["fields"].append(token.field)
    for entry in found.values():
        entry["usedIn"].sort(key=PLACES.index)
        entry["fields"].sort()
    return found


def contract_schema(payload: Mapping[str, Any], slug: str) -> Schema:
    """The contract of a template: the msgParams schema with its usage annotations under x-kmsg."""
    schema = params_schema(payload.get("msgParamsMap"))
    name = str(payload.get("name") or slug)
    used = usage(payload)
    tokens: dict[str, Any] = {}
    for token, info in schema[ANNOTATION]["tokens"].items():
        places = used.get(token, {}).get("usedIn", [])
        fields = used.get(token, {}).get("fields", []) if info["type"] == USER else []
        tokens[token] = {"type": info["type"], "usedIn": places, **({"fields": fields} if info["type"] == USER else {})}
        where = ", ".join(places) if places else "nowhere (declared, not referenced)"
        read = f"; reads the user's {', '.join(fields)}" if fields else ""
        schema["properties"][token]["description"] = f"{info['type']} token, used in {where}{read}"
    images = inline_images(str(payload.get("body") or ""))
    user_fields = sorted({f for t in tokens.values() for f in t.get("fields", [])})
    annotation = {"template": slug, "name": name, "tokens": tokens, "userFields": user_fields, "inlineImages": images}
    doc: Schema = {
        "$schema": schema.pop("$schema"),
        "$id": SCHEMA_ID.format(slug=slug),
        "title": f"msgParams of '{name}'",
        "description": (
            f"The msgParams object a message/send request for the template '{name}' must carry: one "
            "{type, value} entry per token of its msgParamsMap."
            + (f" The recipients' profiles must have: {', '.join(user_fields)}." if user_fields else "")
            + (f" Attach inline images with contentId: {', '.join(images)}." if images else "")
        ),
        **schema,
    }
    doc[ANNOTATION] = annotation
    return doc


# -- differences ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One difference between two contracts, as it affects a service calling message/send."""

    kind: str  # BREAKING or COMPATIBLE
    subject: str  # the token, 'token.field' or 'cid:id' the change is about (what allow_breaking names)
    message: str
    token: str | None = None

    @property
    def breaking(self) -> bool:
        """Whether callers sending what the old contract asked for now fail."""
        return self.kind == BREAKING

    def allowed_by(self, names: Iterable[str]) -> bool:
        """Whether an allow_breaking list names this change (its token, or the exact subject)."""
        wanted = set(names)
        return self.subject in wanted or (self.token is not None and self.token in wanted)

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {"kind": self.kind, "subject": self.subject, "token": self.token, "message": self.message}


def _info(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    info = schema.get(ANNOTATION)
    return info if isinstance(info, Mapping) else {}


def classify(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """How the contract `after` differs from `before` for callers: each change breaking or compatible."""
    old, new = _info(before).get("tokens", {}), _info(after).get("tokens", {})
    changes: list[Change] = []
    for name in sorted(set(old) | set(new)):
        if name not in old:
            t = new[name]["type"]
            changes.append(Change(BREAKING, name, f"token '{name}' added ({t}): callers must send it", name))
            continue
        if name not in new:
            changes.append(Change(COMPATIBLE, name, f"token '{name}' removed: callers may stop sending it", name))
            continue
        was, now = old[name]["type"], new[name]["type"]
        if was != now:
            if was in sent_as_names(now):
                changes.append(
                    Change(
                        COMPATIBLE,
                        name,
                        f"token '{name}' widened from {was} to {now}: a {was} value is still accepted",
                        name,
                    )
                )
            else:
                changes.append(
                    Change(
                        BREAKING,
                        name,
                        f"token '{name}' changed type from {was} to {now}: callers must send a {now} value",
                        name,
                    )
                )
            continue
        if old[name].get("usedIn") and not new[name].get("usedIn"):
            changes.append(
                Change(
                    COMPATIBLE,
                    name,
                    f"token '{name}' is no longer used: callers may stop sending it once it is removed",
                    name,
                )
            )
        was_read, now_read = set(old[name].get("fields", [])), set(new[name].get("fields", []))
        for f in sorted(now_read - was_read):
            changes.append(
                Change(
                    BREAKING,
                    f"{name}.{f}",
                    f"User field '{name}.{f}' newly read: the recipients' profiles must have {f}",
                    name,
                )
            )
        for f in sorted(was_read - now_read):
            changes.append(Change(COMPATIBLE, f"{name}.{f}", f"User field '{name}.{f}' no longer read", name))
    was_images, now_images = list(_info(before).get("inlineImages", [])), list(_info(after).get("inlineImages", []))
    for cid in now_images:
        if cid not in was_images:
            changes.append(
                Change(
                    BREAKING,
                    f"cid:{cid}",
                    f"inline image cid:{cid} newly required: callers must attach it with contentId '{cid}'",
                )
            )
    for cid in was_images:
        if cid not in now_images:
            changes.append(
                Change(
                    COMPATIBLE, f"cid:{cid}", f"inline image cid:{cid} no longer shown: callers may stop attaching it"
                )
            )
    return changes


def payload_changes(before: Mapping[str, Any], after: Mapping[str, Any], slug: str = "") -> list[Change]:
    """classify() for two email-template payloads (a published one and a local one)."""
    return classify(contract_schema(before, slug), contract_schema(after, slug))


def refused(changes: Iterable[Change], allow: Iterable[str] = (), *, allow_all: bool = False) -> list[Change]:
    """The breaking changes neither allow_all nor the allow list lets through."""
    names = list(allow)
    return [c for c in changes if c.breaking and not allow_all and not c.allowed_by(names)]


def allow_list(settings: Mapping[str, Any]) -> list[str]:
    """The tokens a template's `kmsg: {contract: {allow_breaking: [...]}}` lets change incompatibly."""
    contract = settings.get("contract") if isinstance(settings, Mapping) else None
    names = contract.get("allow_breaking") if isinstance(contract, Mapping) else None
    return [str(n) for n in names] if isinstance(names, list) else []
