"""Updates by webhook: ``setWebhook``/``deleteWebhook`` and delivery with Telegram's retries.

Why like Telegram: updates of one chat are delivered one at a time and in order, a failed
POST is retried with a growing delay, and the secret-token header is sent, so the bot's
webhook endpoint is tested against what Telegram really does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from .models import (
    RequestRecord,
    WebhookDelivery,
    dumps,
)
from .state import (
    _SECRET_RE,
    LOOPBACK_HOSTS,
    _Described,
    _Webhook,
)
from .validate import (
    ApiError,
    Params,
    bad_request,
)


class WebhookMixin:
    """Webhook methods and delivery of :class:`~tests.fakeapi.server.FakeBotApi` (a mixin)."""

    def _api_getWebhookInfo(self, params: Params) -> dict[str, Any]:
        return self.webhook_info()

    def webhook_info(self) -> dict[str, Any]:
        """What ``getWebhookInfo`` answers right now."""
        info: dict[str, Any] = {
            "url": self._webhook.url if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self._webhook is not None:
            info["max_connections"] = self._webhook.max_connections
            info["ip_address"] = "127.0.0.1"
            if self._webhook.allowed_updates:
                info["allowed_updates"] = self._webhook.allowed_updates
        if self._webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    def _api_setWebhook(self, params: Params) -> _Described:
        url = params.get_str("url", "") or ""
        if url == "":
            return self._delete_webhook(params)
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"}:
            raise bad_request("bad webhook: Unsupported URL protocol")
        if self.require_https_webhook and parts.scheme != "https":
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if (parts.hostname or "") not in LOOPBACK_HOSTS:
            raise bad_request(
                "bad webhook: Failed to resolve host: Name or service not known "
                "(this fake server only delivers to loopback addresses)"
            )
        if params.has("certificate"):
            raise bad_request("bad webhook: custom certificates are not supported by the fake")
        secret = params.get_str("secret_token")
        if secret is not None:
            if len(secret) > 256:
                raise bad_request("secret token is too long")
            if not _SECRET_RE.fullmatch(secret):
                raise bad_request("secret token contains unallowed characters")
        max_connections = min(max(params.get_int("max_connections", 40) or 40, 1), 100)
        allowed = params.get_json("allowed_updates", "can't parse allowed_updates JSON object")
        if allowed is not None:
            self._set_allowed(allowed)
        if params.get_bool("drop_pending_updates"):
            self._pending.clear()
        current = self._webhook
        if current is not None and (current.url, current.secret_token, current.max_connections) == (
            url,
            secret,
            max_connections,
        ):
            return _Described(True, "Webhook is already set")
        self._webhook_generation += 1
        self._webhook = _Webhook(
            url=url,
            secret_token=secret,
            max_connections=max_connections,
            allowed_updates=self._explicit_allowed,
            generation=self._webhook_generation,
        )
        self._webhook_error = None
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_loop())
        self._notify()
        return _Described(True, "Webhook was set")

    def _api_deleteWebhook(self, params: Params) -> _Described:
        return self._delete_webhook(params)

    def _delete_webhook(self, params: Params) -> _Described:
        if params.get_bool("drop_pending_updates"):
            self._pending.clear()
        if self._webhook is None:
            return _Described(True, "Webhook is already deleted")
        self._webhook = None
        self._webhook_error = None
        self._notify()
        return _Described(True, "Webhook was deleted")

    async def _stop_webhook_delivery(self) -> None:
        hook, self._webhook = self._webhook, None
        tasks: list[asyncio.Task[None]] = list(hook.inflight.values()) if hook else []
        if self._webhook_task is not None:
            tasks.append(self._webhook_task)
            self._webhook_task = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    @staticmethod
    def _order_key(update: dict[str, Any]) -> Any:
        """Updates sharing a key are delivered one at a time, in order (as Telegram does)."""
        for kind, body in update.items():
            if kind == "update_id" or not isinstance(body, dict):
                continue
            if "chat" in body:
                return ("chat", body["chat"]["id"])
            if isinstance(body.get("message"), dict):
                return ("chat", body["message"]["chat"]["id"])
            if "from" in body:
                return ("user", body["from"]["id"])
        return ("update", update["update_id"])

    async def _webhook_loop(self) -> None:
        while not self._closing.is_set():
            hook = self._webhook
            if hook is None:
                await self._changed.wait(0.5)
                if self._webhook is None:
                    return
                continue
            # Walk the queue in order; the first update of each chat/user "claims" it, so a
            # later update of the same chat waits until the earlier one was acknowledged.
            claimed: set[Any] = set()
            for update in list(self._pending):
                if len(hook.inflight) >= hook.max_connections:
                    break
                update_id = update["update_id"]
                key = self._order_key(update)
                if key in claimed:
                    continue
                claimed.add(key)
                if update_id not in hook.inflight:
                    hook.inflight[update_id] = asyncio.get_running_loop().create_task(
                        self._deliver(hook, update)
                    )
            await self._changed.wait(0.5)

    async def _deliver(self, hook: _Webhook, update: dict[str, Any]) -> None:
        update_id = update["update_id"]
        delay = self.webhook_retry_base
        attempt = 0
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        try:
            while self._webhook is hook and not self._closing.is_set():
                if not any(u is update for u in self._pending):
                    return
                attempt += 1
                status: int | None = None
                error: str | None = None
                reply: bytes = b""
                reply_type = ""
                assert self._session is not None
                try:
                    async with self._session.post(
                        hook.url,
                        data=dumps(update).encode(),
                        headers=headers,
                        timeout=aiohttp.ClientTimeout(total=self.webhook_timeout),
                        allow_redirects=False,
                    ) as response:
                        status = response.status
                        reply = await response.read()
                        reply_type = response.content_type
                        if not 200 <= status < 300:
                            error = f"Wrong response from the webhook: {status} {response.reason}"
                except TimeoutError:
                    error = "Read timeout expired"
                except aiohttp.ClientConnectorError:
                    error = "Connection refused"
                except aiohttp.ClientError as exc:
                    error = f"Connection error: {type(exc).__name__}"
                self.webhook_deliveries.append(
                    WebhookDelivery(
                        update_id=update_id,
                        attempt=attempt,
                        status=status,
                        error=error,
                        secret_header=hook.secret_token,
                        time=time.time(),
                    )
                )
                if error is None:
                    if update in self._pending:
                        self._pending.remove(update)
                    self._notify()
                    if reply and reply_type == "application/json":
                        self._webhook_reply_method(reply)
                    return
                self._webhook_error = (int(time.time()), error)
                self._notify()
                if attempt >= self.webhook_max_attempts:
                    if update in self._pending:
                        self._pending.remove(update)
                    self.dropped_updates.append(update)
                    self.warnings.append(f"update {update_id} given up after {attempt} attempts")
                    return
                await self._sleep(delay)
                delay = min(delay * 2, self.webhook_retry_max)
        finally:
            hook.inflight.pop(update_id, None)
            self._notify()

    def _webhook_reply_method(self, reply: bytes) -> None:
        """Execute a method the bot put in its webhook response, as Telegram allows."""
        try:
            body = json.loads(reply)
        except ValueError:
            return
        if not isinstance(body, dict) or "method" not in body:
            return
        entry = self._methods.get(str(body["method"]).lower())
        if entry is None or entry[0] == "getUpdates":
            return
        values = {
            k: v if isinstance(v, str) else dumps(v)
            for k, v in body.items()
            if k != "method" and v is not None
        }
        record = RequestRecord(entry[0], dict(body), 0, fault="webhook-reply", time=time.time())
        self.requests.append(record)
        try:
            entry[1](Params(values=values))
            record.status = 200
        except ApiError as exc:
            record.status, record.description = exc.status, exc.description
