"""Security headers on every response, and whether the admin cookie must be `Secure`.

The admin pages use no inline script or style and load nothing from other origins, so the
policy can be strict. /docs and /redoc (off unless `docs` is set) load Swagger UI / ReDoc
from a CDN with inline script: they get no CSP, the other headers only.
"""

from __future__ import annotations

from starlette.requests import Request

from central.limits import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
DOCS_PATHS = ("/docs", "/redoc")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(HEADERS)
        if not scope["path"].startswith(DOCS_PATHS):
            extra.append((b"content-security-policy", CSP.encode()))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *((n, v) for n, v in extra if n not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)


def cookie_secure(request: Request) -> bool:
    """`Secure` when the request came over HTTPS (directly, or as a trusted proxy's
    X-Forwarded-Proto says) or when the server is told it always sits behind TLS."""
    return request.url.scheme == "https" or bool(getattr(request.app.state, "secure_cookies", False))
