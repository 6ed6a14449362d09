"""Files: uploads, file ids and URLs for ``sendPhoto``/``sendDocument``.

Why apart: file handling has its own limits (10 MB photos, 50 MB documents, real image
bytes, file ids of the right type) that have nothing to do with text formatting.
"""

from __future__ import annotations

import time
from typing import Any

from .html_entities import check_url, utf16_len
from .models import (
    ChatMessage,
)
from .state import (
    _IMAGE_MAGIC,
    _MB,
)
from .validate import (
    CAPTION_LIMIT,
    ApiError,
    Params,
    bad_request,
    validate_reply_markup,
)


class FilesMixin:
    """File methods of :class:`~tests.fakeapi.server.FakeBotApi` (a mixin)."""

    def _input_file(self, params: Params, name: str, kind: str) -> tuple[str, dict[str, Any]]:
        upload = params.files.get(name)
        value = params.get_str(name)
        if upload is None and value and value.startswith("attach://"):
            upload = params.files.get(value[len("attach://") :])
            if upload is None:
                raise bad_request(f"file {value} not found in the request")
        if upload is not None:
            limit = 10 * _MB if kind == "photo" else 50 * _MB
            if len(upload.data) > limit:
                raise ApiError(413, "Request Entity Too Large")
            if len(upload.data) == 0:
                raise bad_request("file must be non-empty")
            if kind == "photo" and not upload.data.startswith(_IMAGE_MAGIC):
                raise bad_request("IMAGE_PROCESS_FAILED")
            file_id = self._new_file(kind)
            info = {"file_name": upload.filename, "mime_type": upload.content_type}
            return file_id, {k: v for k, v in info.items() if v} | {"file_size": len(upload.data)}
        if value is None:
            raise bad_request(f"there is no {kind} in the request")
        if value in self._files:
            if self._files[value] != kind:
                raise bad_request(
                    f"can't use file of type {self._files[value].capitalize()} as "
                    f"{kind.capitalize()}"
                )
            return value, {}
        if value.lower().startswith(("http://", "https://")) and check_url(value) is None:
            return self._new_file(kind), {}
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _new_file(self, kind: str) -> str:
        file_id = f"{kind[:2].upper()}ACAgQAAx{self._random.getrandbits(96):024x}"
        self._files[file_id] = kind
        return file_id

    def _send_media(self, params: Params, kind: str) -> dict[str, Any]:
        chat = self._resolve_chat(params)
        assert chat is not None
        file_id, info = self._input_file(params, kind, kind)
        caption, entities = ("", [])
        if params.has("caption"):
            caption, entities = self._formatted(params, "caption")
            if utf16_len(caption) > CAPTION_LIMIT:
                raise bad_request("message caption is too long")
        markup = validate_reply_markup(params)
        reply_to = self._reply_target(chat, params)
        self._check_can_send(chat)
        unique = file_id[-12:]
        if kind == "photo":
            extra: dict[str, Any] = {
                "photo": [
                    {
                        "file_id": file_id,
                        "file_unique_id": unique + "s",
                        "width": 90,
                        "height": 90,
                        "file_size": 1024,
                    },
                    {
                        "file_id": file_id,
                        "file_unique_id": unique,
                        "width": 800,
                        "height": 600,
                        "file_size": info.get("file_size", 65536),
                    },
                ]
            }
        else:
            extra = {"document": {"file_id": file_id, "file_unique_id": unique, **info}}
        message = self._store(
            ChatMessage(
                chat=chat,
                message_id=self._new_message_id(chat),
                date=int(time.time()),
                from_bot=True,
                text=caption or None,
                html=params.get_str("caption"),
                entities=entities,
                reply_markup=markup,
                kind=kind,
                extra=extra,
                reply_to=reply_to,
            )
        )
        self._record_sent("sendPhoto" if kind == "photo" else "sendDocument", message, params)
        return message.to_api(self.bot_user)

    def _api_sendPhoto(self, params: Params) -> dict[str, Any]:
        return self._send_media(params, "photo")

    def _api_sendDocument(self, params: Params) -> dict[str, Any]:
        return self._send_media(params, "document")
