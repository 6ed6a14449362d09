"""A small JSON control API under ``/_fake/`` to drive the fake from another process.

Why: ``python -m tests.fakeapi`` serves the fake on its own, for trying the bot by hand.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .routes import _json


class ControlMixin:
    """The ``/_fake/<action>`` API of :class:`~tests.fakeapi.server.FakeBotApi` (a mixin)."""

    async def _control(self, request: web.Request) -> web.Response:
        """A small JSON API on ``/_fake/<action>`` to drive the fake from another process.

        Actions: ``user`` {id, first_name, language_code?, username?}; ``send_text``
        {user_id, text, chat_id?}; ``press_button`` {user_id, chat_id, message_id,
        callback_data}; ``inline_query`` {user_id, query}; ``fault`` {method, kind, times?,
        probability?, retry_after?, delay?}; ``sent`` (GET, ?since=N); ``state`` (GET).
        """
        action = request.match_info["action"]
        try:
            body: dict[str, Any] = await request.json() if request.can_read_body else {}
        except ValueError:
            return _json({"ok": False, "description": "body must be JSON"}, 400)
        try:
            result = await self._control_action(action, body, request)
        except (LookupError, ValueError, TypeError, RuntimeError) as exc:
            return _json({"ok": False, "description": str(exc)}, 400)
        if result is None:
            return _json({"ok": False, "description": f"unknown action {action!r}"}, 404)
        return _json({"ok": True, "result": result}, 200)

    async def _control_action(self, action: str, body: dict[str, Any], request: web.Request) -> Any:
        if action == "user":
            user = await self.user(
                int(body["id"]),
                str(body.get("first_name", "User")),
                body.get("language_code", "km"),
                body.get("username"),
            )
            return user.to_api()
        if action == "send_text":
            message = await self.send_text(
                int(body["user_id"]), str(body["text"]), body.get("chat_id")
            )
            return message.to_api(self.bot_user)
        if action == "press_button":
            stored = self._messages[int(body["chat_id"])][int(body["message_id"])]
            return await self.press_button(
                int(body["user_id"]), stored, body.get("callback_data"), text=body.get("text")
            )
        if action == "inline_query":
            return await self.inline_query(int(body["user_id"]), str(body.get("query", "")))
        if action == "fault":
            rule = self.faults.inject(
                str(body["method"]),
                str(body["kind"]),
                times=body.get("times"),
                probability=body.get("probability"),
                retry_after=int(body.get("retry_after", 1)),
                delay=body.get("delay"),
            )
            return {"method": rule.method, "kind": rule.kind}
        if action == "sent":
            since = int(request.query.get("since", body.get("since", 0)))
            return [
                {
                    "seq": s.seq,
                    "method": s.method,
                    "chat_id": s.chat_id,
                    "message_id": s.message_id,
                    "text": s.text,
                    "html": s.html,
                    "reply_markup": s.reply_markup,
                }
                for s in self.sent[since:]
            ]
        if action == "state":
            return {
                "sent": len(self.sent),
                "requests": len(self.requests),
                "pending_updates": len(self._pending),
                "webhook": self.webhook_info(),
                "faults": {f"{m}:{k}": n for (m, k), n in self.faults.counts.items()},
            }
        return None
