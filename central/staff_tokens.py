"""Staff API token lifecycle: issue (and rotate), revoke, and whether a token may be used.

A token is valid until `token_expires_at` (90 days from issue, models.STAFF_TOKEN_TTL) unless
revoked. Rotating issues a new token and the old hash is overwritten, so the old token stops
at once; revoking overwrites the hash with one of a token nobody holds. Callers must also
`app.state.tokens.forget(old_hash)` so this process's TokenCache drops it now (other
processes drop it within the cache TTL, 60 s).
"""

from __future__ import annotations

from datetime import datetime

from central.models import STAFF_TOKEN_TTL, Staff
from central.security import hash_token, new_token
from central.services import as_utc, now


def issue(staff: Staff) -> str:
    """A new token for `staff` (the old one, if any, stops); returns it: show it once."""
    token = new_token()
    at = now()
    staff.token_hash = hash_token(token)
    staff.token_rotated_at = at
    staff.token_expires_at = at + STAFF_TOKEN_TTL
    staff.token_revoked_at = None
    return token


def revoke(staff: Staff) -> None:
    staff.token_hash = hash_token(new_token())  # a hash no one has the token for
    staff.token_revoked_at = now()


def usable(expires_at: datetime | None, revoked_at: datetime | None, at: datetime | None = None) -> bool:
    expires_at = as_utc(expires_at)
    return revoked_at is None and expires_at is not None and expires_at > (at or now())


def status(staff: Staff) -> str:
    """"active", "expired" or "revoked", for the admin pages."""
    if staff.token_revoked_at is not None:
        return "revoked"
    return "active" if usable(staff.token_expires_at, None) else "expired"
