"""What each sandbox endpoint does, apart from HTTP: request body in, response body out.

Semantics follow the API guide: objects belong to the partner of the KS; ids are 24 hex digits;
`version` starts at 1 and grows with every update; timestamps are ISO 8601 with milliseconds;
deleting a template sets its status to deleted (an unsubscribe URI is removed for good);
`message/send` renders every recipient's message with the preview renderer and keeps it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from kmsg_authoring.contract.schema import ParamError, params_schema, validate_params
from kmsg_authoring.model import (
    FROM_NAME,
    ADD_FIELDS,
    CURRENT_RECIPIENT,
    DEFAULT_PAGE_LIMIT,
    DEFAULT_STATUS,
    TEMPLATE_TYPE,
    UNSUBSCRIBE_URI_ADD_FIELDS,
    UNSUBSCRIBE_URI_UPDATE_FIELDS,
    UPDATE_FIELDS,
    BulkError,
    BulkStatus,
    DiscreteError,
    DiscreteStatus,
    ErrorCode,
    TemplateStatus,
    number_of_tokens_used,
    token_facts,
)
from kmsg_authoring.sandbox import schema
from kmsg_authoring.sandbox.store import (
    BULK_MESSAGES,
    DISCRETE_MESSAGES,
    TEMPLATES,
    UNSUBSCRIBE_URIS,
    USERS,
    BadFilter,
    Collection,
    Doc,
    Store,
    format_timestamp,
)

Clock = Callable[[], datetime]
Handler = Callable[[int, Doc], Doc]

# How an object of each table is named in a not-found message.
_KINDS = {TEMPLATES.table: "email template", UNSUBSCRIBE_URIS.table: "unsubscribe URI"}
EMAIL_RE = re.compile(r"\A[^@\s]+@[^@\s]+\.[^@\s]+\Z")
_NAME_PARTS = re.compile(r"[._+\-]+")


class ApiProblem(Exception):
    """An error answer: HTTP status and the JSON body {"code": ..., "message": ...}."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> Doc:
        """The JSON error body."""
        return {"code": self.code, "message": self.message}


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def user_from_email(user_id: str, partner: int) -> Doc:
    """The user record the sandbox invents for an email-like user id: names derived from the address."""
    local = user_id.split("@", 1)[0]
    words = [w.capitalize() for w in _NAME_PARTS.split(local) if w]
    first = words[0] if words else local
    last = " ".join(words[1:])
    return {
        "id": user_id,
        "partnerId": partner,
        "email": user_id,
        "firstName": first,
        "lastName": last,
        "fullName": " ".join(words) or local,
        "screenName": local,
    }


def _names_a_user(kind: object) -> bool:
    """Whether a msgParams entry of this type names a user (whose record the send must resolve)."""
    facts = token_facts(kind)
    return facts is not None and facts.has_fields


class Service:
    """The sandbox's endpoints over a Store."""

    def __init__(self, store: Store, *, clock: Clock = utc_now, settle_delay: float = 0.0) -> None:
        self.store = store
        self.clock = clock
        # Messages stay "sending" at least this many seconds, then settle on the next list or stats call.
        self.settle_delay = settle_delay
        self.handlers: dict[str, Handler] = {
            "email-template/add": self.template_add,
            "email-template/get": self.template_get,
            "email-template/update": self.template_update,
            "email-template/list": self.template_list,
            "email-template/delete": self.template_delete,
            "message/send": self.message_send,
            "message/list": self.message_list,
            "message/stats": self.message_stats,
            "unsubscribe-uri/add": self.uri_add,
            "unsubscribe-uri/get": self.uri_get,
            "unsubscribe-uri/update": self.uri_update,
            "unsubscribe-uri/list": self.uri_list,
            "unsubscribe-uri/delete": self.uri_delete,
            "sandbox/users/add": self.users_add,
        }
        if set(self.handlers) != set(schema.SCHEMAS):
            raise RuntimeError("every sandbox endpoint needs a handler and a request schema")

    # -- dispatch ----------------------------------------------------------------------------

    def call(self, endpoint: str, partner: int, body: Any) -> Doc:
        """Answer one request of a partner; ApiProblem for an error answer."""
        handler = self.handlers.get(endpoint)
        if handler is None:
            raise ApiProblem(404, ErrorCode.ENDPOINT_NOT_FOUND, f"no endpoint '{endpoint}'")
        problems = schema.problems(endpoint, body)
        if problems:
            raise ApiProblem(400, ErrorCode.VALIDATION, "; ".join(problems))
        try:
            return handler(partner, body)
        except BadFilter as exc:
            raise ApiProblem(400, ErrorCode.VALIDATION, str(exc)) from None

    def _now(self) -> str:
        return format_timestamp(self.clock())

    def _new_id(self) -> str:
        return secrets.token_hex(12)

    def _list(self, coll: Collection, partner: int, body: Doc) -> Doc:
        pager = body.get("pager") or {}
        offset = pager.get("offset", 0)
        limit = pager.get("limit", DEFAULT_PAGE_LIMIT)
        objects, total = self.store.query(coll, partner, body.get("filter"), offset, limit)
        return {"objects": objects, "totalCount": total}

    def _add(
        self,
        coll: Collection,
        partner: int,
        body: Doc,
        fields: tuple[str, ...],
        derive: Callable[[Doc], None] | None = None,
    ) -> Doc:
        """A new object from the given fields, with a generated id, version 1 and the status defaulted."""
        now = self._now()
        doc: Doc = {"id": self._new_id(), "partnerId": partner}
        doc.update((f, body[f]) for f in fields if f in body)
        doc.setdefault("status", DEFAULT_STATUS)
        if derive is not None:
            derive(doc)
        doc.update(version=1, createdAt=now, updatedAt=now)
        self.store.insert(coll, partner, doc)
        return doc

    def _get(self, coll: Collection, partner: int, object_id: str) -> Doc:
        doc = self.store.get(coll, partner, object_id)
        if doc is None:
            raise ApiProblem(404, ErrorCode.NOT_FOUND, f"{_KINDS[coll.table]} '{object_id}' not found")
        return doc

    def _update(
        self,
        coll: Collection,
        partner: int,
        body: Doc,
        fields: tuple[str, ...],
        derive: Callable[[Doc], None] | None = None,
    ) -> Doc:
        """The given fields change, the others stay; version + 1. Atomic."""
        with self.store.transaction():
            doc = self._get(coll, partner, body["id"])
            doc.update((f, body[f]) for f in fields if f in body)
            if derive is not None:
                derive(doc)
            doc.update(version=int(doc["version"]) + 1, updatedAt=self._now())
            self.store.replace(coll, partner, doc)
        return doc

    # -- email templates ---------------------------------------------------------------------

    @staticmethod
    def _template_derived(doc: Doc) -> None:
        doc["templateType"] = TEMPLATE_TYPE
        doc["numberOfTokenUsed"] = number_of_tokens_used(doc)

    def template_add(self, partner: int, body: Doc) -> Doc:
        """email-template/add: a new template with a generated id, version 1."""
        return self._add(TEMPLATES, partner, body, ADD_FIELDS, self._template_derived)

    def template_get(self, partner: int, body: Doc) -> Doc:
        """email-template/get."""
        return self._get(TEMPLATES, partner, body["id"])

    def template_update(self, partner: int, body: Doc) -> Doc:
        """email-template/update: the given fields change, the others stay; version + 1."""
        return self._update(TEMPLATES, partner, body, UPDATE_FIELDS, self._template_derived)

    def template_list(self, partner: int, body: Doc) -> Doc:
        """email-template/list: filters of section 5.4, pager, totalCount."""
        return self._list(TEMPLATES, partner, body)

    def template_delete(self, partner: int, body: Doc) -> Doc:
        """email-template/delete: status becomes deleted (again deleting changes nothing)."""
        with self.store.transaction():
            doc = self.template_get(partner, body)
            if doc["status"] != TemplateStatus.DELETED:
                doc.update(status=TemplateStatus.DELETED.value, version=int(doc["version"]) + 1, updatedAt=self._now())
                self.store.replace(TEMPLATES, partner, doc)
        return doc

    # -- unsubscribe URIs --------------------------------------------------------------------

    def uri_add(self, partner: int, body: Doc) -> Doc:
        """unsubscribe-uri/add."""
        return self._add(UNSUBSCRIBE_URIS, partner, body, UNSUBSCRIBE_URI_ADD_FIELDS)

    def uri_get(self, partner: int, body: Doc) -> Doc:
        """unsubscribe-uri/get."""
        return self._get(UNSUBSCRIBE_URIS, partner, body["id"])

    def uri_update(self, partner: int, body: Doc) -> Doc:
        """unsubscribe-uri/update; version + 1."""
        return self._update(UNSUBSCRIBE_URIS, partner, body, UNSUBSCRIBE_URI_UPDATE_FIELDS)

    def uri_list(self, partner: int, body: Doc) -> Doc:
        """unsubscribe-uri/list."""
        return self._list(UNSUBSCRIBE_URIS, partner, body)

    def uri_delete(self, partner: int, body: Doc) -> Doc:
        """unsubscribe-uri/delete: removed for good; answers with the object as it was."""
        with self.store.transaction():
            doc = self.uri_get(partner, body)
            self.store.remove(UNSUBSCRIBE_URIS, partner, body["id"])
        return doc

    # -- users -------------------------------------------------------------------------------

    def users_add(self, partner: int, body: Doc) -> Doc:
        """sandbox/users/add (sandbox only): add or replace users message/send can resolve."""
        docs = []
        with self.store.transaction():
            for user in body["users"]:
                doc: Doc = {**user, "partnerId": partner}
                if "email" not in doc and EMAIL_RE.match(doc["id"]):
                    doc["email"] = doc["id"]
                self.store.replace(USERS, partner, doc)
                docs.append(doc)
        return {"objects": docs, "totalCount": len(docs)}

    def _users(self, partner: int, user_ids: list[str]) -> dict[str, Doc]:
        """The known users among user_ids; an unknown email-like id becomes a new user."""
        found, _ = self.store.query(USERS, partner, {"idIn": user_ids})
        users = {str(u["id"]): u for u in found}
        with self.store.transaction():
            for uid in user_ids:
                if uid not in users and EMAIL_RE.match(uid):
                    users[uid] = user_from_email(uid, partner)
                    self.store.replace(USERS, partner, users[uid])
        return users

    # -- messages ----------------------------------------------------------------------------

    def _check_params(self, declared: Mapping[str, Any], params: Mapping[str, Any]) -> list[ParamError]:
        """The template's contract (the JSON Schema of its msgParams) against the sent msgParams."""

        return validate_params(params_schema(declared), params, base=("msgParams",))

    def message_send(self, partner: int, body: Doc) -> Doc:
        """message/send: render every recipient's message, keep them, answer with the bulk message."""
        from kmsg_authoring.render.renderer import render_all

        template = self._get(TEMPLATES, partner, body["templateId"])
        if template["status"] != TemplateStatus.ENABLED:
            raise ApiProblem(
                400, ErrorCode.VALIDATION, f"email template '{template['id']}' is {template['status']}, not enabled"
            )
        if body["appGuid"] != template["appGuid"]:
            raise ApiProblem(
                400,
                ErrorCode.VALIDATION,
                f"appGuid '{body['appGuid']}' is not the template's appGuid '{template['appGuid']}'",
            )
        params = body["msgParams"]
        problems = self._check_params(template.get("msgParamsMap") or {}, params)
        if problems:
            # The error body keeps the API's {code, message} shape: every problem, each at its JSON pointer.
            raise ApiProblem(400, ErrorCode.VALIDATION, "; ".join(map(str, problems)))

        if body["receiverType"] == "user":
            recipients = list(dict.fromkeys(body["userIds"]))
        else:
            members, _ = self.store.query(USERS, partner, {"groupIds": body["groupIds"]})
            if not members:
                raise ApiProblem(
                    400, BulkError.NO_ACTIVE_GROUP_USERS, f"no users in the groups {', '.join(body['groupIds'])}"
                )
            recipients = [str(u["id"]) for u in members]
        named = [
            str(p["value"]) for p in params.values() if _names_a_user(p["type"]) and p["value"] != CURRENT_RECIPIENT
        ]
        users = self._users(partner, list(dict.fromkeys(recipients + named)))
        renderings = render_all(template, params, users, recipients)

        now = self._now()
        bulk_msg_id = self._new_id()
        bulk_id = f"bulk_{bulk_msg_id[:8]}"
        while self.store.exists(BULK_MESSAGES, "bulk_id", bulk_id):
            bulk_id = f"bulk_{secrets.token_hex(4)}"
        common = {"partnerId": partner, "appGuid": body["appGuid"], "templateId": template["id"]}
        if "session" in body:
            common["session"] = body["session"]
        bulk: Doc = {
            "id": bulk_msg_id,
            "bulkId": bulk_id,
            **common,
            "type": body["type"],
            "receiverType": body["receiverType"],
            "status": BulkStatus.SENDING.value,
        }
        for key in ("session", "adminTags", "userIds", "groupIds"):
            if key in body:
                bulk[key] = body[key]
        bulk.update(createdAt=now, updatedAt=now)
        headers = {**(template.get("customHeaders") or {}), **(body.get("customHeaders") or {})}
        attachments = [
            {k: a[k] for k in ("fileName", "mimeType", "disposition") if k in a} for a in body.get("attachments") or ()
        ]
        with self.store.transaction():
            self.store.insert(BULK_MESSAGES, partner, bulk)
            for r in renderings:
                status, error = DiscreteStatus.SENDING.value, None
                if r.user_id not in users:
                    status, error = DiscreteStatus.ERROR.value, DiscreteError.USER_NOT_FOUND.value
                elif not EMAIL_RE.match(r.to):
                    status, error = DiscreteStatus.ERROR.value, DiscreteError.EMAIL_NOT_RESOLVED.value
                message: Doc = {
                    "id": self._new_id(),
                    "bulkId": bulk_id,
                    "bulkMessageId": bulk_msg_id,
                    **common,
                    "templateName": template["name"],
                    "userId": r.user_id,
                    "to": r.to,
                    "from": r.from_email,
                    FROM_NAME: r.from_name,
                    "cc": template.get("cc", ""),
                    "bcc": template.get("bcc", ""),
                    "subject": r.subject,
                    "body": r.body,
                    "customHeaders": headers,
                    "attachments": attachments,
                    "status": status,
                    "unresolved": [str(u) for u in r.unresolved],
                    "createdAt": now,
                    "updatedAt": now,
                }
                if error:
                    message["errorEnum"] = error
                self.store.insert(DISCRETE_MESSAGES, partner, message)
        return bulk

    def settle(self) -> None:
        """Finish sending what has waited settle_delay: bulks complete, their messages are delivered."""
        cutoff = format_timestamp(self.clock() - timedelta(seconds=self.settle_delay))
        now = self._now()
        with self.store.transaction():
            for coll, final in (
                (BULK_MESSAGES, BulkStatus.COMPLETED.value),
                (DISCRETE_MESSAGES, DiscreteStatus.DELIVERED.value),
            ):
                for partner, doc in self.store.pending(coll, cutoff):
                    doc.update(status=final, updatedAt=now)
                    self.store.replace(coll, partner, doc)

    def message_list(self, partner: int, body: Doc) -> Doc:
        """message/list: bulk messages with the filters of section 8.1."""
        self.settle()
        return self._list(BULK_MESSAGES, partner, body)

    def message_stats(self, partner: int, body: Doc) -> Doc:
        """message/stats: counts of the discrete messages of a bulk or a session, by uppercase status."""
        self.settle()
        if body.get("bulkId") is not None:
            found, _ = self.store.query(BULK_MESSAGES, partner, {"bulkIdIn": [body["bulkId"]]}, 0, 1)
            if not found:
                raise ApiProblem(404, ErrorCode.NOT_FOUND, f"bulk message '{body['bulkId']}' not found")
            counts = self.store.count_by_status(DISCRETE_MESSAGES, partner, "bulk_id", body["bulkId"])
        elif body.get("session") is not None:
            counts = self.store.count_by_status(DISCRETE_MESSAGES, partner, "session", body["session"])
        else:
            raise ApiProblem(400, ErrorCode.VALIDATION, "message/stats needs a bulkId or a session")
        return {status.upper(): n for status, n in sorted(counts.items())}

    def outbox(self, offset: int, limit: int) -> tuple[list[Doc], int]:
        """Rendered messages of every partner, newest first, and how many there are."""
        self.settle()
        return self.store.newest(DISCRETE_MESSAGES, offset, limit)

    def message(self, message_id: str) -> Doc | None:
        """One rendered message by id."""
        return self.store.find(DISCRETE_MESSAGES, message_id)


WRITE_ENDPOINTS = frozenset(
    {
        "email-template/add",
        "email-template/update",
        "email-template/delete",
        "message/send",
        "unsubscribe-uri/add",
        "unsubscribe-uri/update",
        "unsubscribe-uri/delete",
        "sandbox/users/add",
    }
)
