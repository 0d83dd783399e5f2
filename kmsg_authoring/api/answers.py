"""An HTTP answer in, JSON with the KS hidden (or a short error text) out; failures described in words."""

from __future__ import annotations

import json
from typing import Any

import httpx

from kmsg_authoring.errors import HIDDEN

# No answer of the API nests deeper than a handful of levels; a deeper one is not the API.
MAX_JSON_DEPTH = 64


class Answer:
    """A finished HTTP answer: status, headers and the body bytes (read within the limits)."""

    def __init__(self, status: int, headers: httpx.Headers, content: bytes) -> None:
        self.status, self.headers, self.content = status, headers, content

    def text(self) -> str:
        """The body as text, undecodable bytes replaced."""
        return self.content.decode("utf-8", errors="replace")


class BadJson(ValueError):
    """A body that is not JSON, or is JSON nested deeper than MAX_JSON_DEPTH."""


def cleaned(value: Any, ks: str | None) -> Any:
    """value with the KS replaced in every string (ks None: none can hold it); BadJson when it nests
    deeper than MAX_JSON_DEPTH."""
    # Iterative: a hostile answer must not be able to exhaust the stack.
    root: list[Any] = [value]
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadJson(f"nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(node, list):
            for i, item in enumerate(node):
                if isinstance(item, (list, dict)):
                    stack.append((item, depth + 1))
                elif ks is not None and isinstance(item, str) and ks in item:
                    node[i] = item.replace(ks, HIDDEN)
        else:
            for key in list(node):
                item = node[key]
                if ks is not None and ks in key:
                    del node[key]
                    key = key.replace(ks, HIDDEN)
                    node[key] = item
                if isinstance(item, (list, dict)):
                    stack.append((item, depth + 1))
                elif ks is not None and isinstance(item, str) and ks in item:
                    node[key] = item.replace(ks, HIDDEN)
    return root[0]


def _no_constant(name: str) -> Any:
    raise BadJson(f"{name} is not a JSON number")


def parse_json(content: bytes, ks: str) -> Any:
    """The decoded JSON of an answer with the KS hidden; BadJson when it is not usable JSON."""
    try:
        text = content.decode("utf-8")
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise BadJson(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    except UnicodeDecodeError:
        raise BadJson("not UTF-8") from None
    except BadJson:
        raise
    except ValueError as exc:
        raise BadJson(f"not JSON ({exc})") from None
    # Strings are searched only when the text holds the KS, or escapes that could spell it.
    spelled = ks in text or "\\u" in text or "\\/" in text
    return cleaned(value, ks if spelled else None)


def server_message(answer: Answer, ks: str) -> str:
    """The error text of a failed answer: a JSON message field when there is one, else the text."""
    try:
        data = parse_json(answer.content, ks)
    except BadJson:
        # Hidden before it is cut, so a KS straddling the cut cannot leave half of itself.
        text = answer.text().replace(ks, HIDDEN).strip()
        return " ".join(text[:300].split()) if text else "no message"
    if isinstance(data, dict):
        parts: list[str] = []
        for key in ("message", "error", "errorEnum", "errorDescription", "code", "detail"):
            value = data.get(key)
            if isinstance(value, (str, int)) and str(value) not in parts:
                parts.append(str(value)[:300])
            elif isinstance(value, dict) and isinstance(value.get("message"), str):
                parts.append(value["message"][:300])
        if parts:
            return ": ".join(parts)
    return json.dumps(data, ensure_ascii=False)[:300]


def is_refused(exc: BaseException) -> bool:
    """Whether a connection failure is a refusal: nothing listens at that address."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def describe(exc: httpx.HTTPError) -> str:
    kinds: dict[type[Exception], str] = {
        httpx.ConnectError: "cannot connect",
        httpx.ConnectTimeout: "connection timed out",
        httpx.ReadTimeout: "timed out waiting for the response",
        httpx.WriteTimeout: "timed out sending the request",
        httpx.PoolTimeout: "no free connection",
        httpx.RemoteProtocolError: "connection dropped",
        httpx.ReadError: "connection dropped",
        httpx.WriteError: "connection dropped",
    }
    kind = kinds.get(type(exc), type(exc).__name__)
    detail = str(exc).strip()
    return f"{kind} ({detail})" if detail and detail != kind else kind
