"""deploy/central: the systemd units pass `systemd-analyze verify`, and the nginx example
passes `nginx -t` and, run for real in front of two instances, passes each client's own address
on (so per-address limits still work behind it) and refuses bodies above the largest limit."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from central import db, limits
from central.app import create_app
from central.enrol_api import RateLimit
from central.security import new_data_key
from central.testing import free_port, start_server

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "central"
VENV_BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_units_verify(tmp_path: Path) -> None:
    for unit in ("gig-central@.service", "gig-central-migrate.service"):
        text = (DEPLOY / unit).read_text()
        # verify checks that ExecStart exists: point it at this checkout's entry point
        (tmp_path / unit).write_text(text.replace("/opt/gig-station/.venv/bin", str(VENV_BIN)))
    r = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "gig-central@8081.service"),
                        str(tmp_path / "gig-central-migrate.service")],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr


def test_nginx_body_limit_matches_the_largest_route_limit() -> None:
    largest = max(n for _, _, n in limits.LIMITS)
    conf = (DEPLOY / "nginx-gig-central.conf").read_text()
    assert f"client_max_body_size {largest // (1024 * 1024)}m;" in conf


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "central.example.org")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    crt, pem = tmp / "fullchain.pem", tmp / "privkey.pem"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    return crt, pem


def _nginx_conf(tmp: Path, upstreams: list[int], https: int, http: int) -> Path:
    crt, pem = _self_signed(tmp)
    example = (DEPLOY / "nginx-gig-central.conf").read_text()
    example = example.replace("/etc/gig-central/tls/fullchain.pem", str(crt))
    example = example.replace("/etc/gig-central/tls/privkey.pem", str(pem))
    example = example.replace("server 127.0.0.1:8081", f"server 127.0.0.1:{upstreams[0]}")
    example = example.replace("server 127.0.0.1:8082", f"server 127.0.0.1:{upstreams[1]}")
    example = example.replace("listen 443 ssl", f"listen 127.0.0.1:{https} ssl")
    example = example.replace("listen 80;", f"listen 127.0.0.1:{http};")
    (tmp / "site.conf").write_text(example)
    main = tmp / "nginx.conf"
    main.write_text(f"""
user root;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/site.conf;
}}
""")
    return main


@pytest.fixture
def behind_nginx(tmp_path: Path) -> Iterator[str]:
    if shutil.which("nginx") is None:
        pytest.skip("nginx not installed (deploy/setup-system.sh --test)")
    engine = db.make_engine(f"sqlite:///{tmp_path}/c.db")
    db.migrate(engine)
    key = new_data_key()
    servers = []
    for _ in range(2):
        app = create_app(engine, key, admin=False, trusted_proxies="127.0.0.1")
        app.state.enrol_limit = RateLimit(attempts=3, window_s=600)
        servers.append(start_server(app))
    https = free_port()
    conf = _nginx_conf(tmp_path, [int(url.rsplit(":", 1)[1]) for url, _ in servers], https, free_port())
    check = subprocess.run(["nginx", "-t", "-c", str(conf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen(["nginx", "-c", str(conf)], stderr=subprocess.PIPE)
    base = f"https://127.0.0.1:{https}"
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                httpx.get(base + "/healthz", verify=False, timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)
        for _, stop in servers:
            stop()
        engine.dispose()


def _client(base: str, address: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address, verify=False)
    return httpx.Client(base_url=base, transport=transport, verify=False, timeout=10)


def test_nginx_example_passes_the_client_address_and_limits_bodies(behind_nginx: str) -> None:
    a, b = _client(behind_nginx, "127.0.0.2"), _client(behind_nginx, "127.0.0.3")
    assert a.get("/healthz").json() == {"ok": True}
    # 127.0.0.2 uses up its enrolment attempts (spread over both instances by nginx), even
    # while claiming to be someone else; 127.0.0.3 behind the same proxy is not affected.
    spoof = {"X-Forwarded-For": "10.9.9.9"}
    codes = [a.post("/v1/enrol", json={"code": "ABCD-EFGH-JKMN"}, headers=spoof).status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]
    assert b.post("/v1/enrol", json={"code": "ABCD-EFGH-JKMN"}).status_code == 404
    # Above the largest route limit nginx refuses the body itself.
    r = a.post("/admin/jobs-import", content=b"x" * (12 * 1024 * 1024))
    assert r.status_code == 413
