"""`gig-kiosk enrol`: what it refuses before sending anything, and the exchange against the real
reference server on 127.0.0.1 (wrong station id leaves the code usable; the key is pinned)."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from central import db, onboarding
from central.security import DataCipher, new_data_key
from central.services import Keyring
from central.testing import start_server
from kiosk import enrol
from kiosk.remote_config import RemoteConfig
from kiosk.settings import from_dict


def settings(tmp_path: Path, base_url: str = "https://jobs.example.gov.cn", **api: object):  # noqa: ANN201
    return from_dict({"station": {"id": "s-1", "county": "c"},
                      "api": {"base_url": base_url, "token_file": str(tmp_path / "secret" / "token"), **api},
                      "storage": {"data_dir": str(tmp_path / "data")}})


@pytest.mark.parametrize(("url", "allow", "ok"), [
    ("https://jobs.example.gov.cn", False, True),
    ("http://jobs.example.gov.cn", False, False),
    ("http://jobs.example.gov.cn", True, False),   # --allow-http is for loopback only
    ("http://127.0.0.1:8080", False, False),
    ("http://127.0.0.1:8080", True, True),
    ("http://[::1]:8080", True, True),
    ("ftp://127.0.0.1", True, False),
])
def test_https_required(url: str, allow: bool, ok: bool) -> None:
    if ok:
        enrol.check_url(url, allow)
    else:
        with pytest.raises(enrol.EnrolError):
            enrol.check_url(url, allow)


def test_token_file_must_be_named_and_outside_data_dir(tmp_path: Path) -> None:
    s = from_dict({"station": {"id": "s-1"}, "api": {"base_url": "https://x.example"},
                   "storage": {"data_dir": str(tmp_path / "data")}})
    with pytest.raises(enrol.EnrolError, match="token_file is not set"):
        enrol.token_path(s)
    s = settings(tmp_path, token_file=str(tmp_path / "data" / "token"))
    with pytest.raises(enrol.EnrolError, match="inside data_dir"):
        enrol.token_path(s)
    assert enrol.token_path(settings(tmp_path)) == tmp_path / "secret" / "token"


@pytest.fixture
def central_with_station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict, str]]:
    tmp = tmp_path_factory.mktemp("central")
    engine = db.make_engine(f"sqlite:///{tmp}/c.db")
    db.migrate(engine)
    key = new_data_key()
    with db.session_factory(engine)() as s:
        county, _ = onboarding.add_county(s, Keyring(DataCipher(key)), "c", "县", "County")
        _, enrolment = onboarding.add_station(s, Keyring(DataCipher(key)), "c",
                                              {"id": "s-1", "name": "站", "lat": 30, "lng": 117})
        s.commit()
        info = onboarding.county_dict(county)
    from central.app import create_app

    base_url, stop = start_server(create_app(engine, key, admin=False))
    yield base_url, info, enrolment.code
    stop()
    engine.dispose()


def test_enrol_against_the_reference_server(central_with_station, tmp_path: Path) -> None:  # noqa: ANN001
    base_url, county, code = central_with_station
    wrong = from_dict({"station": {"id": "s-2"}, "storage": {"data_dir": str(tmp_path / "data")},
                       "api": {"base_url": base_url, "token_file": str(tmp_path / "secret" / "token")}})
    with pytest.raises(enrol.EnrolError, match="not for station 's-2'.*not used up") as exc:
        enrol.enrol(wrong, code, allow_http=True)
    assert exc.value.code == 2 and not (tmp_path / "secret" / "token").exists()
    s = settings(tmp_path, base_url)
    out = enrol.enrol(s, "enrol:" + code, allow_http=True)  # the QR text works as well
    assert out == {"station_id": "s-1", "county": "c", "key_id": county["key_id"],
                   "token_file": str(tmp_path / "secret" / "token")}
    token_file = tmp_path / "secret" / "token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600 and s.api.resolved_token()
    pin = json.loads((tmp_path / "data" / RemoteConfig.PIN_FILE).read_text())
    assert pin["public_key"] == county["public_key"]
    assert not RemoteConfig(s, tmp_path / "data").needs_key  # no key typed into the TOML
    with pytest.raises(enrol.EnrolError, match="already used"):
        enrol.enrol(s, code, allow_http=True)
    report = enrol.sync_once(s)
    assert report["config"]["status"] == "applied"
