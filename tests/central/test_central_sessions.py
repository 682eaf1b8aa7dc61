"""Token cache and admin sessions: bad tokens cannot evict good ones; expired sessions go."""

from __future__ import annotations

from datetime import timedelta

import httpx
from central_helpers import DEMO, admin_login
from sqlalchemy import event, func, insert, select

from central import db, seed, services
from central.admin.routes import COOKIE
from central.auth import TokenCache
from central.models import AdminSession, Staff
from central.security import DataCipher, hash_token, new_data_key, new_token
from central.testing import start_seeded_server


def test_a_flood_of_bad_tokens_does_not_evict_good_ones(database_url: str) -> None:
    engine = db.make_engine(database_url)
    db.migrate(engine)
    sessions = db.session_factory(engine)
    with sessions() as s:
        out = seed.seed(s, services.Keyring(DataCipher(new_data_key())), DEMO)
    good = out["stations"][0]["token"]
    queries = []
    event.listen(engine, "before_cursor_execute", lambda *a: queries.append(1))
    # default sizes, as the server uses; a TTL longer than the 20,001 lookups can take on a loaded
    # machine (under load they took over the default 60 s, and the good token expired, not evicted)
    cache = TokenCache(sessions, ttl_s=3600)
    assert cache.lookup(good).station_id == out["stations"][0]["id"]
    for _ in range(20_001):
        assert cache.lookup(new_token()) is None
    queries.clear()
    assert cache.lookup(good).station_id == out["stations"][0]["id"]
    assert cache.cached(good)[0]
    assert queries == [], "the good token was evicted by bad ones and had to be loaded again"
    engine.dispose()


def test_expired_admin_sessions_are_deleted(database_url: str) -> None:
    base_url, seed_out, stop = start_seeded_server(database_url, demo_dir=DEMO)
    engine = db.make_engine(database_url)
    sessions = db.session_factory(engine)
    try:
        staff = next(s for s in seed_out["staff"] if s["role"] == "admin")
        with sessions() as s:
            staff_id = s.scalar(select(Staff.id).where(Staff.username == staff["username"]))
            past = services.now() - timedelta(hours=1)
            s.execute(insert(AdminSession), [
                {"token_hash": hash_token(new_token()), "staff_id": staff_id, "expires_at": past}
                for _ in range(50)])
            s.commit()
        # Logging in deletes every expired session.
        client = admin_login(base_url, staff["username"], staff["password"])
        with sessions() as s:
            assert s.scalar(select(func.count()).select_from(AdminSession)
                            .where(AdminSession.expires_at < services.now())) == 0
            assert s.scalar(select(func.count()).select_from(AdminSession)) == 1  # the new login
        client.close()
        # An expired session presented later is refused and deleted on the spot.
        late = new_token()
        with sessions() as s:
            s.add(AdminSession(token_hash=hash_token(late), staff_id=staff_id, expires_at=past))
            s.commit()
        with httpx.Client(base_url=base_url, timeout=30, cookies={COOKIE: late}) as other:
            r = other.get("/admin/stations")
        assert r.status_code == 303 and r.headers["location"] == "/admin/login"
        with sessions() as s:
            assert s.get(AdminSession, hash_token(late)) is None
    finally:
        engine.dispose()
        stop()
