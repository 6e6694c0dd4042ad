"""Request parsing and the real API's JSON envelopes, shared by every route module.

Netatmo accepts GET query parameters, POST forms and (for setstate/synchomeschedule) JSON
bodies interchangeably; `read_params` merges them so each handler reads one mapping.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import MultiDict, MultiDictProxy


@dataclass(frozen=True)
class Caller:
    """Who is calling: resolved from the bearer token by the guard middleware."""

    account_id: str
    client_id: str
    scopes: frozenset[str]
    token: str


CALLER_KEY: web.RequestKey[Caller] = web.RequestKey("sim_caller", Caller)


class Params:
    """Merged query + form parameters, plus the JSON body when there is one."""

    def __init__(self, values: MultiDict[str], body: Any) -> None:
        self.values = values
        self.json = body

    def get(self, name: str) -> str | None:
        """First value of a parameter; an empty string counts as missing."""
        value = self.values.get(name)
        if (
            value is None
            and isinstance(self.json, dict)
            and isinstance(self.json.get(name), str | int | float)
        ):
            value = str(self.json[name])
        return value if value not in (None, "") else None

    def getall(self, name: str) -> list[str]:
        """All values of a repeated parameter (`x`, `x[]` and JSON arrays alike)."""
        out = list(self.values.getall(name, [])) + list(self.values.getall(f"{name}[]", []))
        if isinstance(self.json, dict) and isinstance(self.json.get(name), list):
            out.extend(str(v) for v in self.json[name])
        expanded: list[str] = []
        for value in out:
            if value.startswith("["):
                try:
                    expanded.extend(str(v) for v in json.loads(value))
                    continue
                except ValueError:
                    pass
            expanded.extend(v for v in value.split(",") if v)
        return expanded

    def as_dict(self) -> dict[str, Any]:
        """A loggable copy (repeated values become lists)."""
        out: dict[str, Any] = {}
        for key in self.values:
            vals = self.values.getall(key)
            out[key] = vals[0] if len(vals) == 1 else list(vals)
        if self.json is not None:
            out["json"] = self.json
        return out


PARAMS_KEY: web.RequestKey[Params] = web.RequestKey("sim_params", Params)


class BadRequest(Exception):
    """Raised by handlers for a 400 with a Netatmo code (10 missing, 21 invalid, 9 not found)."""

    def __init__(self, code: int, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


async def read_params(request: web.Request) -> Params:
    """Parse the request once: query, then POST form or JSON body."""
    values: MultiDict[str] = MultiDict(request.query)
    body: Any = None
    if request.method in ("POST", "PUT", "DELETE") and request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise BadRequest(40, "JSON given has an invalid encoding") from exc
        else:
            form: MultiDictProxy[Any] = await request.post()
            for key, value in form.items():
                if isinstance(value, str):
                    values.add(key, value)
    return Params(values, body)


def params_of(request: web.Request) -> Params:
    """The parameters the guard middleware parsed for this request."""
    return request[PARAMS_KEY]


def caller_of(request: web.Request) -> Caller:
    """The authenticated caller of this request."""
    return request[CALLER_KEY]


def ok(body: Any = None, now: float | None = None) -> web.Response:
    """The success envelope (write endpoints omit body)."""
    started = time.perf_counter()
    payload: dict[str, Any] = {"status": "ok", "time_server": int(now if now is not None else time.time())}
    if body is not None:
        payload["body"] = body
    payload["time_exec"] = round(time.perf_counter() - started + 0.004, 6)
    return web.json_response(payload)


def error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    """The error envelope `{"error": {"code", "message"}}`."""
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)


def require(params: Params, *names: str) -> list[str]:
    """Values of required parameters, or code 10 naming the first missing one."""
    values = []
    for name in names:
        value = params.get(name)
        if value is None:
            raise BadRequest(10, f"Missing {name}")
        values.append(value)
    return values


def as_int(value: str | None, name: str) -> int | None:
    """An integer parameter (code 21 when malformed)."""
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError as exc:
        raise BadRequest(21, f"Invalid {name}") from exc


def as_float(value: str | None, name: str) -> float | None:
    """A numeric parameter (code 21 when malformed)."""
    if value is None:
        return None
    try:
        return float(value)
    except ValueError as exc:
        raise BadRequest(21, f"Invalid {name}") from exc


def check_scope(caller: Caller, *any_of: str) -> None:
    """Code 13 unless the token carries at least one of the scopes."""
    if not caller.scopes.intersection(any_of):
        raise BadRequest(13, "Application does not have the good scope rights", status=403)


def api_routes(
    table: Mapping[str, Callable[[web.Request], Awaitable[web.StreamResponse]]],
) -> list[web.RouteDef]:
    """`/api/<name>` on GET and POST alike: real clients use both for the same endpoints."""
    out = []
    for name, handler in table.items():
        out += [web.get(f"/api/{name}", handler), web.post(f"/api/{name}", handler)]
    return out
