"""An in-memory Messaging API behind httpx.MockTransport, for tests that need no server."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from kmsg_authoring.api import MessagingClient

KS = "djJ8OTk5fGZha2Uta3Mtc2VjcmV0LXZhbHVl"
URL = "https://fake.test/api/v1"
READ_ONLY = {"id", "partnerId", "templateType", "numberOfTokenUsed", "version", "createdAt", "updatedAt"}


class FakeApi:
    """Templates in a dict; `faults` maps a call number to 'drop-after-write', 'drop', '500' or '400'."""

    def __init__(self) -> None:
        self.templates: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []
        self.faults: dict[int, str] = {}
        self._next = 1
        self.sent: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.complete_after = 2  # message/list polls before a bulk message completes
        self.final_status = "completed"
        self.stats: dict[str, int] = {"DELIVERED": 1}

    def writes(self) -> list[str]:
        """Endpoints called that change state."""
        return [c for c in self.calls if not c.endswith(("/list", "/get", "/stats"))]

    def live(self) -> list[dict[str, Any]]:
        """Templates not deleted."""
        return [t for t in self.templates.values() if t.get("status") != "deleted"]

    def handler(self, request: httpx.Request) -> httpx.Response:
        endpoint = request.url.path.split("/api/v1/", 1)[1]
        self.calls.append(endpoint)
        fault = self.faults.pop(len(self.calls), None)
        if fault == "drop":
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        if fault == "500":
            return httpx.Response(500, json={"message": "injected"})
        if fault == "400":
            return httpx.Response(400, json={"message": "injected validation error"})
        body = json.loads(request.content)
        answer = self.serve(endpoint, body)
        if fault == "drop-after-write":
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return answer

    def serve(self, endpoint: str, body: dict[str, Any]) -> httpx.Response:
        if endpoint == "email-template/add":
            tid = f"t{self._next}"
            self._next += 1
            created = f"2026-01-01T00:00:{self._next:06.3f}Z"  # later adds, later times
            self.templates[tid] = {
                "status": "enabled",
                **body,
                "id": tid,
                "version": 1,
                "templateType": "email",
                "createdAt": created,
            }
            return httpx.Response(200, json=self.templates[tid])
        if endpoint in ("email-template/get", "email-template/update", "email-template/delete"):
            found = self.templates.get(body.get("id", ""))
            if found is None:
                return httpx.Response(404, json={"message": "template not found"})
            if endpoint.endswith("update"):
                found.update({k: v for k, v in body.items() if k not in READ_ONLY})
                found["version"] += 1
            elif endpoint.endswith("delete"):
                found["status"] = "deleted"
            return httpx.Response(200, json=found)
        if endpoint == "email-template/list":
            f, pager = body.get("filter", {}), body.get("pager", {})
            items = [
                t
                for t in self.templates.values()
                if ("appGuidIn" not in f or t.get("appGuid") in f["appGuidIn"])
                and ("nameEq" not in f or t.get("name") == f["nameEq"])
            ]
            start, limit = pager.get("offset", 0), pager.get("limit", 30)
            return httpx.Response(200, json={"objects": items[start : start + limit], "totalCount": len(items)})
        if endpoint == "message/send":
            self.sent.append(body)
            message: dict[str, Any] = {
                "id": f"m{len(self.sent)}",
                "bulkId": f"bulk_{len(self.sent)}",
                "status": "sending",
                "session": body.get("session"),
                "templateId": body.get("templateId"),
                "polls": 0,
            }
            self.messages.append(message)
            return httpx.Response(200, json=message)
        if endpoint == "message/list":
            wanted = body.get("filter", {}).get("bulkIdIn", [])
            bulks = [m for m in self.messages if m["bulkId"] in wanted]
            for m in bulks:
                m["polls"] += 1
                if m["polls"] >= self.complete_after:
                    m["status"] = self.final_status
            return httpx.Response(200, json={"objects": bulks, "totalCount": len(bulks)})
        if endpoint == "message/stats":
            return httpx.Response(200, json=self.stats)
        return httpx.Response(404, json={"message": f"unknown endpoint {endpoint}"})

    def client(self, **kw: Any) -> MessagingClient:
        """A client talking to this fake, with retries that never sleep."""
        sleeps: Callable[[float], None] = kw.pop("sleep", lambda s: None)
        return MessagingClient(URL, KS, transport=httpx.MockTransport(self.handler), sleep=sleeps, **kw)
