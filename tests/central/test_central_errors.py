"""Every domain refusal of central.services has an HTTP status in central.app's one handler."""

from __future__ import annotations

from central import services
from central.app import DOMAIN_STATUS


def _kinds(cls: type) -> list[type]:
    return [cls, *(k for sub in cls.__subclasses__() for k in _kinds(sub))]


def test_every_domain_error_has_a_status() -> None:
    kinds = _kinds(services.DomainError)[1:]
    assert {services.NotFound, services.Conflict, services.Gone, services.Taken, services.BadId,
            services.RateLimited} <= set(kinds)
    for kind in kinds:
        assert any(c in DOMAIN_STATUS for c in kind.__mro__), f"{kind.__name__} has no HTTP status"
