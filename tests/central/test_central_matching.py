"""Matching rules (issue 16): a table of cases for central.matching.fits, the SQL and the
in-memory (bulk) candidate finders agreeing with it on both databases, and the DB layer
(new, changed and closed jobs; new, renewed and ended registrations)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from registration_helpers import registration
from sqlalchemy import select
from sqlalchemy.orm import Session

from central import db, matching, registrations
from central.matching import JobFacts, RegFacts, fits, walk_minutes
from central.models import Job, Match, Registration, Station
from central.security import DataCipher, new_data_key
from central.services import Keyring, create_county, create_station, now

AT = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Monday 30 Nov 2026, 10:00 in China
MON = date(2026, 11, 30)
LAT, LNG = 31.30, 117.20
KM_LAT = 1 / 111.195  # degrees of latitude per km (haversine's earth)


def job(**over) -> JobFacts:  # noqa: ANN003
    base = JobFacts("e-1", "保洁", LAT + 2 * KM_LAT, LNG, 150.0, "day", "daily", MON, MON + timedelta(days=2),
                    MON + timedelta(days=2), "open", 18, 60)
    return replace(base, **over)


def reg(**over) -> RegFacts:  # noqa: ANN003
    base = RegFacts("r-1", LAT, LNG, ("保洁",), 3.0, False, matching.ANY_DAY, "any", None, None,
                    date(1970, 5, 1), AT - timedelta(days=3))
    return replace(base, **over)


def days(*names: str) -> int:
    return matching.days_mask(names)


CASES = [
    ("baseline", job(), reg(), True),
    # distance
    ("2 km within 3", job(), reg(reach_km=3.0), True),
    ("2 km beyond 1", job(), reg(reach_km=1.0), False),
    ("10 km reach", job(lat=LAT + 9.9 * KM_LAT), reg(reach_km=10.0), True),
    ("10.1 km", job(lat=LAT + 10.1 * KM_LAT), reg(reach_km=10.0), False),
    # 15 minutes: ceil(1.3 d / 4.5 * 60) <= 15 <=> d <= 0.865 km
    ("0.86 km walks 15 min", job(lat=LAT + 0.86 * KM_LAT), reg(reach_km=matching.WALK_15_KM, walk=True), True),
    ("0.87 km walks 16 min", job(lat=LAT + 0.87 * KM_LAT), reg(reach_km=matching.WALK_15_KM, walk=True), False),
    # category
    ("other category", job(category="搬运"), reg(), False),
    ("any category", job(category="搬运"), reg(categories=()), True),
    ("one of several", job(category="搬运"), reg(categories=("保洁", "搬运")), True),
    # days: the job runs Mon..Wed
    ("wants Tuesday", job(), reg(days=days("tue")), True),
    ("wants weekend only", job(), reg(days=days("sat", "sun")), False),
    ("a week-long job has every day", job(end_date=MON + timedelta(days=8), valid_through=MON + timedelta(days=8)),
     reg(days=days("sun")), True),
    ("past days do not count", job(start_date=MON - timedelta(days=7), end_date=MON + timedelta(days=1)),
     reg(days=days("sat")), False),
    # settlement
    ("daily wanted", job(), reg(settlement="daily"), True),
    ("weekly wanted, daily job", job(), reg(settlement="weekly"), False),
    ("on completion only for any", job(settlement="on_completion"), reg(settlement="any"), True),
    # pay
    ("pay at the minimum", job(), reg(pay_unit="day", pay_min=150.0), True),
    ("pay below the minimum", job(), reg(pay_unit="day", pay_min=150.01), False),
    ("another unit never satisfies a minimum", job(pay_unit="hour", pay_amount=500.0),
     reg(pay_unit="day", pay_min=150.0), False),
    ("no minimum, any unit", job(pay_unit="piece", pay_amount=1.0), reg(), True),
    # age on the first working day (Mon 30 Nov 2026)
    ("56 years old, limit 60", job(), reg(), True),
    ("too old", job(age_max=55), reg(), False),
    ("60 on the day", job(age_max=60), reg(birth_date=date(1966, 11, 30)), True),
    ("61 the day before", job(age_max=60), reg(birth_date=date(1965, 11, 29)), False),
    ("18 tomorrow: too young", job(), reg(birth_date=date(2008, 12, 1)), False),
    ("18 today", job(), reg(birth_date=date(2008, 11, 30)), True),
    ("no age limits", job(age_min=None, age_max=None), reg(birth_date=date(1940, 1, 1)), True),
    # the job itself
    ("closed job", job(status="closed"), reg(), False),
    ("expired job", job(valid_through=MON - timedelta(days=1)), reg(), False),
    ("finished job", job(start_date=MON - timedelta(days=5), end_date=MON - timedelta(days=1)), reg(), False),
]


@pytest.mark.parametrize(("name", "j", "r", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rules(name: str, j: JobFacts, r: RegFacts, expected: bool) -> None:
    assert (fits(j, r, AT) is not None) is expected


def test_walk_model_and_score_order() -> None:
    assert walk_minutes(0.0) == 0 and walk_minutes(0.865) == 15 and walk_minutes(0.866) == 16
    assert walk_minutes(1.0) == 18  # 1.3 km at 4.5 km/h = 17.3 minutes
    near, far = fits(job(lat=LAT + 0.5 * KM_LAT), reg(), AT), fits(job(), reg(), AT)
    assert near.score > far.score  # closer first
    named, any_ = fits(job(), reg(), AT), fits(job(), reg(categories=()), AT)
    assert named.score > any_.score  # better fit first
    old, young = fits(job(), reg(created_at=AT - timedelta(days=20)), AT), fits(job(), reg(), AT)
    assert old.score > young.score  # older registration first


# -- the database layer, both backends -------------------------------------------------------------


def _world(database_url: str):  # noqa: ANN202
    engine = db.make_engine(database_url)
    db.migrate(engine)
    cipher = DataCipher(new_data_key())
    with db.session_factory(engine)() as s:
        county = create_county(s, Keyring(cipher), "east", "东县", "East", id_prefix="e")
        for i in range(6):
            create_station(s, Keyring(cipher), county, {"id": f"e-s{i}", "name": f"站{i}", "lat": LAT + i * 0.02,
                                                        "lng": LNG + (i % 3) * 0.02}, token=f"t{i}")
        s.commit()
    return engine, cipher


def _random_registrations(s, rnd: random.Random, n: int) -> None:  # noqa: ANN001
    stations = s.scalars(select(Station)).all()
    for i in range(n):
        st = rnd.choice(stations)
        reach = rnd.choice([{"km": 1}, {"km": 3}, {"km": 5}, {"km": 10}, {"minutes": 15}])
        wants = {"categories": rnd.choice([[], ["保洁"], ["搬运"], ["保洁", "搬运"], ["餐饮"]]), "reach": reach,
                 "days": rnd.choice([[], ["sat", "sun"], ["mon"], ["tue", "wed"]]),
                 "settlement": rnd.choice(["any", "daily", "weekly"]),
                 "min_pay": rnd.choice([None, {"amount": 150, "unit": "day"}, {"amount": 20, "unit": "hour"}])}
        r = Registration(id=f"r-{i:04d}", county="east", station_id=st.id, reference="K7QD-3M9X", lang="zh",
                         seeker_hash=f"h{i}", seeker_enc=b"x", card_type="resident",
                         birth_date=date(1950 + rnd.randrange(55), 1 + rnd.randrange(12), 1 + rnd.randrange(28)),
                         wants=wants, lat=st.lat, lng=st.lng, reach_km=matching.reach_km(wants), sms=bool(i % 2),
                         consent_version="v", consent_at=now(), consent_days=30, status="open",
                         created_at=now() - timedelta(days=rnd.randrange(40)), updated_at=now(),
                         expires_at=now() + timedelta(days=30))
        s.add(r)
        s.flush()
        matching.reindex(s, r)


def _random_job(rnd: random.Random, i: int) -> Job:
    start = matching.china_today() + timedelta(days=rnd.randrange(-2, 5))
    end = start + timedelta(days=rnd.randrange(0, 9))
    return Job(id=f"e-j{i:04d}", county="east", seq=i + 1, title="工", category=rnd.choice(["保洁", "搬运", "餐饮"]),
               employer="某", headcount=1, pay_amount=rnd.choice([18.0, 22.0, 140.0, 160.0, 200.0]),
               pay_unit=rnd.choice(["hour", "day", "piece"]), settlement=rnd.choice(["daily", "weekly", "on_completion"]),
               start_date=start, end_date=end, daily_hours="8-17", address="路", lat=LAT + rnd.uniform(-0.05, 0.15),
               lng=LNG + rnd.uniform(-0.05, 0.1), contact="c",
               requirements=rnd.choice([{}, {"age_min": 18, "age_max": 50}, {"age_max": 60}]),
               valid_through=end, status="open", updated_at=now())


def test_sql_and_bulk_finders_agree_with_the_rules(database_url: str) -> None:
    engine, _ = _world(database_url)
    rnd = random.Random(16)
    at = now()
    try:
        with db.session_factory(engine)() as s:
            _random_registrations(s, rnd, 300)
            jobs = [_random_job(rnd, i) for i in range(40)]
            s.add_all(jobs)
            s.commit()
            regs = {r.id: matching.reg_facts(r) for r in s.scalars(select(Registration))}
            bulk = matching.BulkIndex(s)
            total = 0
            for j in jobs:
                facts = JobFacts.of(j)
                expected = {rid for rid, r in regs.items() if fits(facts, r, at) is not None}
                sql = {c.registration_id: c for c in matching.job_candidates(s, facts, at)}
                mem = {c.registration_id: c for c in bulk.candidates(facts, at)}
                assert set(sql) == expected == set(mem), j.id
                for rid in expected:
                    assert sql[rid].fit.distance_km == pytest.approx(fits(facts, regs[rid], at).distance_km, abs=1e-3)
                    assert sql[rid].fit.score == pytest.approx(mem[rid].fit.score, abs=1e-2)
                total += len(expected)
            assert total > 50  # the random world does produce matches
    finally:
        engine.dispose()


def test_bulk_ranking_across_jobs_agrees_with_one_query_per_job(database_url: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """BulkIndex.found ranks all jobs' candidates at once (in chunks): each job's best
    MAX_PER_JOB, in order, and the fits of its existing matches are those of job_candidates."""
    monkeypatch.setattr(matching.BulkIndex, "CHUNK", 7)  # several chunks, one of them short
    monkeypatch.setattr(matching, "MAX_PER_JOB", 5)  # jobs with more fitting than kept
    engine, _ = _world(database_url)
    rnd = random.Random(23)
    at = now()
    try:
        with db.session_factory(engine)() as s:
            _random_registrations(s, rnd, 300)
            jobs = [JobFacts.of(_random_job(rnd, i)) for i in range(40)]
            reg_ids = [r for r, in s.execute(select(Registration.id))]
            existing = {j.id: {r: None for r in rnd.sample(reg_ids, 60)} for j in jobs}
            got = matching.BulkIndex(s).found(jobs, at, existing)
            kept = fitting = 0
            for j in jobs:
                want = matching.Found.of(matching.job_candidates(s, j, at))
                assert [b.registration_id for b in got[j.id].best] == [b.registration_id for b in want.best], j.id
                assert [(b.county, b.station_id, b.walk_minutes, b.sms) for b in got[j.id].best] == [
                    (b.county, b.station_id, b.walk_minutes, b.sms) for b in want.best]
                assert [x for b in got[j.id].best for x in (b.distance_km, b.score)] == pytest.approx(
                    [x for b in want.best for x in (b.distance_km, b.score)], abs=1e-2)
                mine = {r: f for r, f in want.fitting.items() if r in existing[j.id]}
                assert got[j.id].fitting.keys() == mine.keys(), j.id
                for r, f in mine.items():
                    assert got[j.id].fitting[r] == pytest.approx(f, abs=1e-2)
                kept += len(want.best) == matching.MAX_PER_JOB
                fitting += len(mine)
            assert kept > 5 and fitting > 20  # the random world does rank and find existing ones
    finally:
        engine.dispose()


def test_copy_rows_are_escaped() -> None:
    row = ("a\\b", "r\tx", "j\ny", "s\r", 51.2, 0.25, 3, "new", 0, "none", AT)
    assert matching._copy_text(["id1"], [row]) == (
        "id1\ta\\\\b\tr\\tx\tj\\ny\ts\\r\t51.2\t0.25\t3\tnew\t0\tnone\t2026-11-30T02:00:00+00:00\n")


def _small_copies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(matching, "COPY_FROM", 10)  # PostgreSQL: the COPY path too
    monkeypatch.setattr(matching.BulkIndex, "CHUNK", 7)  # written in several parts (COPY statements)


def _registrations_and_jobs(s: Session) -> list[Job]:
    """200 random registrations and 30 random jobs (added, not flushed)."""
    rnd = random.Random(7)
    _random_registrations(s, rnd, 200)
    jobs = [_random_job(rnd, i) for i in range(30)]
    s.add_all(jobs)
    return jobs


def test_matches_follow_jobs_and_registrations(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _small_copies(monkeypatch)
    engine, _ = _world(database_url)
    try:
        with db.session_factory(engine)() as s:
            jobs = _registrations_and_jobs(s)
            s.flush()
            got = matching.match_jobs(s, [j.id for j in jobs])  # bulk path (>= BULK_FROM)
            s.commit()
            assert got["added"] > 0
            rows = s.scalars(select(Match)).all()
            per_job: dict[str, int] = {}
            for m in rows:
                per_job[m.job_id] = per_job.get(m.job_id, 0) + 1
                assert m.sms_state == ("pending" if int(m.registration_id[2:]) % 2 else "none")
            assert max(per_job.values()) <= matching.MAX_PER_JOB
            # The same jobs again: nothing changes.
            assert matching.match_jobs(s, [j.id for j in jobs]) == {"added": 0, "dropped": 0, "moved": 0}
            # A job moves far away: its new matches go; one the staff acted on stays.
            target = max(per_job, key=per_job.get)
            kept = s.scalars(select(Match).where(Match.job_id == target)).first()
            kept.status = "contacted"
            job = s.get(Job, target)
            job.lat += 1.0
            s.flush()
            out = matching.match_jobs(s, [target])  # the single-job (SQL) path
            s.commit()
            left = s.scalars(select(Match).where(Match.job_id == target)).all()
            assert [m.id for m in left] == [kept.id] and out["dropped"] == per_job[target] - 1
            # A registration's renewal with other wants drops its new matches that no longer fit.
            some = s.scalars(select(Match).where(Match.status == "new")).first()
            r = s.get(Registration, some.registration_id)
            r.wants = {**r.wants, "categories": ["不存在的工种"]}
            matching.reindex(s, r)
            matching.match_registration(s, r)
            s.commit()
            assert s.scalars(select(Match).where(Match.registration_id == r.id, Match.status == "new")).all() == []
            # Closing a registration (expiry) removes it from the index and its new matches.
            other = s.scalars(select(Match).where(Match.status == "new")).first()
            registrations.close(s, [other.registration_id], "expired", now())
            s.commit()
            assert s.scalars(select(Match.id).where(Match.id == other.id)).first() is None
            assert matching.BulkIndex(s).buckets  # others remain
    finally:
        engine.dispose()


def test_a_failed_copy_fails_the_matching(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The COPY runs in a second thread: its error reaches the caller (nothing half-written is
    committed)."""
    _small_copies(monkeypatch)
    monkeypatch.setattr(matching, "_copy_text", lambda ids, rows: "not\ta row\n")
    engine, _ = _world(database_url)
    try:
        with db.session_factory(engine)() as s:
            jobs = _registrations_and_jobs(s)
            s.commit()
            if engine.dialect.name != "postgresql":
                assert matching.match_jobs(s, [j.id for j in jobs])["added"] > 0  # Core inserts: no COPY
                return
            with pytest.raises(Exception, match="(?i)copy|missing data|invalid"):
                matching.match_jobs(s, [j.id for j in jobs])
            s.rollback()
            assert s.scalars(select(Match)).first() is None
    finally:
        engine.dispose()


def test_bulk_and_single_job_paths_rematch_moved_jobs_alike(database_url: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Jobs that already have matches move: the bulk path keeps, refreshes and drops the
    same matches as the one-job SQL path."""
    engine, _ = _world(database_url)
    rnd = random.Random(11)
    try:
        with db.session_factory(engine)() as s:
            _random_registrations(s, rnd, 200)
            jobs = [_random_job(rnd, i) for i in range(30)]
            s.add_all(jobs)
            s.flush()
            matching.match_jobs(s, [j.id for j in jobs], AT)
            for j in jobs:
                j.lat += rnd.choice((0.0, 0.004, 0.02))
            s.commit()
            ids = [j.id for j in jobs]
            outcomes = []
            for bulk_from in (matching.BULK_FROM, len(ids) + 1):  # bulk, then one query per job
                monkeypatch.setattr(matching, "BULK_FROM", bulk_from)
                out = matching.match_jobs(s, ids, AT)
                rows = {(m.job_id, m.registration_id, m.distance_km, m.walk_minutes, m.score)
                        for m in s.execute(select(Match.job_id, Match.registration_id, Match.distance_km,
                                                  Match.walk_minutes, Match.score))}
                outcomes.append((out, rows))
                s.rollback()
            (bulk_out, bulk_rows), (one_out, one_rows) = outcomes
            assert bulk_out == one_out and bulk_out["moved"] > 0 and bulk_out["dropped"] > 0
            assert {r[:4] for r in bulk_rows} == {r[:4] for r in one_rows}
    finally:
        engine.dispose()


def test_expiry_then_retention(database_url: str) -> None:
    from central import periodic
    from central.registration_schemas import RegistrationIn

    engine, cipher = _world(database_url)
    try:
        with db.session_factory(engine)() as s:
            station = s.get(Station, "e-s0")
            body = RegistrationIn.model_validate(registration("e-s0", serial=1, birth="19900101"))
            code, _, reg = registrations.register(s, cipher, station, "k1", body)
            s.commit()
            assert code == 201 and registrations.seeker(cipher, reg)["name"] == "王登记"
            reg_id = reg.id
        at = now()
        assert registrations.run_expiry(engine, at) == {"expired": 0, "erased": 0, "open": 1}
        assert periodic.REGISTRY["registrations"].run(engine, at + timedelta(days=31)) == {
            "expired": 1, "erased": 0, "open": 0}
        with db.session_factory(engine)() as s:
            reg = s.get(Registration, reg_id)
            assert reg.status == "expired" and reg.seeker_enc and matching.BulkIndex(s).buckets == {}
        # retention_final_days (30) after closing, the personal data goes.
        assert registrations.run_expiry(engine, at + timedelta(days=62)) == {"expired": 0, "erased": 1, "open": 0}
        with db.session_factory(engine)() as s:
            reg = s.get(Registration, reg_id)
            assert reg.seeker_enc == b"" and reg.seeker_hash is None and reg.birth_date is None
            assert reg.wants["reach"] == {"km": 3, "minutes": None}  # kept for statistics
    finally:
        engine.dispose()


def test_imported_jobs_are_matched(database_url: str) -> None:
    """The spreadsheet import (central.jobs_import) matches its jobs in the same transaction."""
    from central import jobs_import
    from central.registration_schemas import RegistrationIn

    engine, cipher = _world(database_url)
    try:
        with db.session_factory(engine)() as s:
            body = RegistrationIn.model_validate(registration("e-s0", serial=2, birth="19900101",
                                                              categories=["保洁"]))
            _, _, reg = registrations.register(s, cipher, s.get(Station, "e-s0"), "k2", body)
            s.commit()
            start = matching.china_today() + timedelta(days=1)
            headers = ["id", "title", "category", "employer", "headcount", "pay_amount", "pay_unit", "settlement",
                       "start_date", "end_date", "daily_hours", "valid_through", "address", "lat", "lng", "contact"]
            row = ["x1", "保洁员", "保洁", "某公司", 2, 160, "day", "daily", start.isoformat(), start.isoformat(),
                   "8-17", start.isoformat(), "某路", LAT + 0.005, LNG, "张 139"]
            result = jobs_import.import_jobs(s, "east", headers, [row, ["x2", *row[1:2], "搬运", *row[3:]]])
            s.commit()
            assert result.imported == 2, result.rejected
            got = s.execute(select(Match.job_id, Match.registration_id)).all()
            assert got == [("east-x1", reg.id)]
            # The same file again re-matches nothing; a changed pay re-matches that job only.
            calls: list[list[str]] = []
            real, x2 = matching.match_jobs, ["x2", *row[1:2], "搬运", *row[3:]]
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(matching, "match_jobs", lambda session, ids, at=None: calls.append(list(ids))
                           or real(session, ids, at))
                assert jobs_import.import_jobs(s, "east", headers, [row, x2]).updated == 2
                row[5] = 170
                jobs_import.import_jobs(s, "east", headers, [row, x2])
            s.commit()
            assert calls == [[], ["east-x1"]]
            assert s.execute(select(Match.job_id, Match.registration_id)).all() == [("east-x1", reg.id)]
    finally:
        engine.dispose()
