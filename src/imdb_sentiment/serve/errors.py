"""Every failure the API answers is JSON (schemas.ErrorBody), never a traceback.

- Over a limit (body bytes, reviews per request, characters per review): 413, naming the limit
  and its value.
- Malformed JSON or a body that is not UTF-8: 400; valid JSON of the wrong shape or types: 422.
- Unknown path: 404; wrong method: 405; queue full or model not ready: 503 with Retry-After.

The body limit is checked on Content-Length before anything is read, and again on the bytes
actually received (a chunked body has no Content-Length).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

log = logging.getLogger("imdb_sentiment.serve")

_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
          413: "payload_too_large", 415: "unsupported_media_type", 503: "unavailable"}


class ApiError(HTTPException):
    """An answer with a JSON error body: ``error`` code, ``message`` and, for limits, the
    ``limit`` name and its ``value``."""

    def __init__(self, status: int, error: str, message: str, *, limit: str | None = None,
                 value: int | None = None, headers: dict | None = None):
        super().__init__(status, message, headers)
        self.error, self.message, self.limit, self.value = error, message, limit, value

    def response(self) -> JSONResponse:
        body = {"error": self.error, "message": self.message}
        if self.limit is not None:
            body.update(limit=self.limit, value=self.value)
        return JSONResponse(body, self.status_code, headers=self.headers)


def too_large(limit: str, value: int, message: str) -> ApiError:
    return ApiError(413, "payload_too_large", f"{message}; the limit {limit} is {value}",
                    limit=limit, value=value)


class BodyLimitMiddleware:
    """ASGI middleware: bodies over ``limit_for(path)`` bytes get 413 (a pair of limit name and
    bytes), whether or not they declare their length."""

    def __init__(self, app, limit_for):
        self.app, self.limit_for = app, limit_for

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        name, limit = self.limit_for(scope["path"])
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            error = too_large(name, limit, f"the body has {int(length)} bytes")
            return await error.response()(scope, receive, send)
        received = 0

        async def receive_at_most():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise too_large(name, limit, f"the body has more than {limit} bytes")
            return message

        await self.app(scope, receive_at_most, send)


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, lambda request, error: error.response())
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)


def _http_error(request: Request, error: HTTPException) -> JSONResponse:
    if isinstance(error, ApiError):
        return error.response()
    message = str(error.detail)
    if error.status_code == 400 and "parsing the body" in message:
        message = "the body is not JSON in UTF-8"
    elif error.status_code == 404:
        message = f"no such path: {request.url.path[:200]}; see /docs"
    body = {"error": _CODES.get(error.status_code, "error"), "message": message}
    return JSONResponse(body, error.status_code, headers=error.headers)


def _validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    details = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")),
                "type": str(e.get("type", ""))} for e in error.errors()]
    if any(d["type"] == "json_invalid" for d in details):
        return JSONResponse({"error": "malformed_json", "message": "the body is not valid JSON",
                             "details": details}, 400)
    first = details[0] if details else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(part) for part in first["loc"][1:]) or "body"
    return JSONResponse({"error": "invalid_request", "message": f"{where}: {first['msg']}",
                         "details": details}, 422)


def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.error("unexpected error on %s", request.url.path, exc_info=error)
    return JSONResponse({"error": "internal_error", "message": "the server failed; see its log"},
                        500)
