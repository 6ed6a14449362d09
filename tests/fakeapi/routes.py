"""HTTP plumbing: reading Bot API parameters, dispatching methods, faults and rate limits.

Why apart from the methods: every method answers through the same envelope
(``{"ok": ..., "result": ...}``), the same injected faults and the same flood limits; the
methods themselves only raise :class:`ApiError` or return a result.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import re
import time
from typing import Any

import aiohttp
from aiohttp import web

from .faults import FaultRule
from .models import (
    RequestRecord,
    dumps,
)
from .state import (
    _NGINX_PAGE,
    RATE_LIMITED,
    _Described,
)
from .validate import (
    ApiError,
    Params,
    UploadedFile,
    bad_request,
)

log = logging.getLogger(__name__)


class RoutesMixin:
    """Request handling for :class:`~tests.fakeapi.server.FakeBotApi` (a mixin)."""

    async def _not_found(self, request: web.Request) -> web.Response:
        return _json(ApiError(404, "Not Found").body(), 404)

    async def _read_params(self, request: web.Request) -> Params:
        params = Params(values=dict(request.query))
        if request.method not in {"POST", "PUT"} or not request.can_read_body:
            return params
        ctype = request.content_type
        if ctype == "application/json":
            raw = await request.read()
            try:
                body = json.loads(raw.decode("utf-8", "surrogatepass") or "{}")
            except ValueError as exc:
                raise bad_request("can't parse JSON encoded request parameters") from exc
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON encoded request parameters")
            for key, value in body.items():
                if value is None:
                    continue
                params.values[key] = value if isinstance(value, str) else dumps(value)
        elif ctype == "application/x-www-form-urlencoded":
            form = await request.post()
            params.values.update({key: str(value) for key, value in form.items()})
        elif ctype == "multipart/form-data":
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    data = await part.read(decode=False)
                    params.files[part.name] = UploadedFile(
                        part.name, part.filename, part.headers.get("Content-Type"), bytes(data)
                    )
                else:
                    params.values[part.name] = await part.text()
        return params

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _json(ApiError(401, "Unauthorized").body(), 401)
        entry = self._methods.get(request.match_info["method"].lower())
        if entry is None:
            return _json(ApiError(404, "Not Found").body(), 404)
        method, handler = entry
        record = RequestRecord(method=method, params={}, status=0, time=time.time())
        self.requests.append(record)
        if method != "getUpdates":
            self._last_activity = time.monotonic()
        try:
            params = await self._read_params(request)
        except ApiError as exc:
            return self._fail(record, exc)
        record.params = params.public()
        record.files = sorted(params.files)

        rule = self.faults.match(method, params.get_str("chat_id"))
        if rule is not None and not rule.after_delivery:
            self.faults.fire(rule, method)
            record.fault = rule.kind
            response = await self._fault_before(request, rule, record)
            if response is not None:
                self._notify()
                return response

        if method in RATE_LIMITED and self.rate_limiter.enabled:
            chat_ref = params.get_str("chat_id") or ""
            chat = self.chats.get(int(chat_ref)) if re.fullmatch(r"-?\d+", chat_ref) else None
            wait = self.rate_limiter.check(
                chat_ref, is_group=chat is not None and chat.type != "private"
            )
            if wait:
                return self._fail(
                    record,
                    ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait}),
                )

        sent_before = len(self.sent)
        try:
            result = handler(params)
            if inspect.isawaitable(result):
                result = await result
        except ApiError as exc:
            return self._fail(record, exc)
        except Exception as exc:
            # Malformed input the validators did not foresee: answer like Telegram would
            # (a 400), but keep a trace so a test can tell a fake bug from a bot bug.
            log.exception("fake Bot API failed on %s", method)
            self.internal_errors.append(f"{method}: {type(exc).__name__}: {exc}")
            return self._fail(record, bad_request(f"invalid request parameters ({exc})"))
        body: dict[str, Any] = {"ok": True, "result": result}
        if isinstance(result, _Described):
            body = {"ok": True, "result": result.result, "description": result.description}
        record.status = 200
        self._notify()

        if rule is not None and rule.after_delivery:
            self.faults.fire(rule, method)
            record.fault = rule.kind
            for item in self.sent[sent_before:]:
                item.client_saw_error = True
            if rule.kind == "drop_after_delivery":
                record.status = "dropped"
                return _drop(request)
            record.status = "hung"
            await self._sleep(rule.delay if rule.delay is not None else self.hang_seconds)
        return _json(body, 200)

    def _fail(self, record: RequestRecord, exc: ApiError) -> web.Response:
        record.status = exc.status
        record.description = exc.description
        self._notify()
        return _json(exc.body(), exc.status)

    async def _fault_before(
        self, request: web.Request, rule: FaultRule, record: RequestRecord
    ) -> web.StreamResponse | None:
        """Answer with the injected fault, or return None to go on (``slow``)."""
        kind = rule.kind
        if kind == "429":
            exc = ApiError(
                429,
                f"Too Many Requests: retry after {rule.retry_after}",
                {"retry_after": rule.retry_after},
            )
            return self._fail(record, exc)
        if kind == "500":
            return self._fail(record, ApiError(500, "Internal Server Error"))
        if kind in {"502", "504"}:
            record.status = int(kind)
            return _nginx(int(kind))
        if kind == "drop":
            record.status = "dropped"
            return _drop(request)
        if kind == "hang":
            record.status = "hung"
            await self._sleep(rule.delay if rule.delay is not None else self.hang_seconds)
            return _nginx(504)
        # slow
        await self._sleep(rule.delay if rule.delay is not None else self.slow_seconds)
        return None

    def _notify(self) -> None:
        """Something changed: wake long polls and the webhook loop, re-check test waiters."""
        self._changed.pulse()
        self._waiters.notify()

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake early when the server stops (so tests never wait for a hang)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)


def _json(body: dict[str, Any], status: int) -> web.Response:
    return web.Response(
        body=dumps(body).encode("utf-8", "surrogatepass"),
        status=status,
        content_type="application/json",
    )


def _nginx(code: int) -> web.Response:
    reason = {502: "Bad Gateway", 504: "Gateway Time-out"}.get(code, "Error")
    return web.Response(
        text=_NGINX_PAGE.format(code=code, reason=reason), status=code, content_type="text/html"
    )


def _drop(request: web.Request) -> web.Response:
    """Close the connection without an answer (the client sees a protocol error)."""
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=204)
