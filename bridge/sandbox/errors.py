"""The Otwa error shape: ``{"statusCode": N, "message": str | [str], "error": "<reason>"}``.

400 always carries ``message`` as a list of strings (NestJS validation style); every other
status carries a string.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


class ApiError(Exception):
    """An Otwa API error; rendered by the app as the error shape with ``status``."""

    def __init__(
        self, status: int, message: str | list[str], headers: dict[str, str] | None = None
    ) -> None:
        if status == 400 and isinstance(message, str):
            message = [message]
        super().__init__(message if isinstance(message, str) else "; ".join(message))
        self.status = status
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return error_body(self.status, self.message)


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_body(status: int, message: str | list[str]) -> dict[str, Any]:
    if status == 400 and isinstance(message, str):
        message = [message]
    return {"statusCode": status, "message": message, "error": reason(status)}
