"""The client's transport (issue 13): plain http:// only to this computer unless --allow-insecure,
TLS verified against the operating system's trust store (a bureau's own CA works once trusted),
checked through the services layer and the command line against real server processes on
127.0.0.1.

0.0.0.0 stands in for "another computer": the client must treat it as remote (it is not a loopback
address), yet on Linux a connection to it reaches the server listening on 127.0.0.1, so the test can
see that nothing is sent when the address is refused and that the sign-in works once allowed.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.errors import SyncError, SyncErrorKind
from app.models.remote import ServerInfo
from app.services import syncing
from app.sync.client import MemoryTokens, SyncClient
from app.sync.transport import is_loopback, server_url_problem
from tests.forkserver import run_app
from tests.sync.conftest import PASSPHRASE, ROOT, SERVER_PASSWORD, Server

REFUSED_ZH = "连接必须加密"


def test_loopback_is_only_this_computer() -> None:
    for host in ("127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LOCALHOST", "::ffff:127.0.0.1"):
        assert is_loopback(host), host
    for host in (
        "0.0.0.0",
        "10.0.0.1",
        "192.168.1.2",
        "::",
        "archive.example.cn",
        "localhost.example.cn",
        "127.0.0.1.example.cn",
        "128.0.0.1",
        "::2",
    ):
        assert not is_loopback(host), host
    assert server_url_problem("http://127.0.0.1:8765") is None
    assert server_url_problem("http://[::1]:8765/") is None
    assert server_url_problem("https://archive.example.cn") is None
    for bad in ("http://archive.example.cn", "http://10.1.2.3:8765", "HTTP://archive.example.cn"):
        problem = server_url_problem(bad)
        assert problem is not None and problem.message("zh_CN").startswith(REFUSED_ZH), bad
        assert server_url_problem(bad, allow_insecure=True) is None
    for nonsense in ("ftp://archive.example.cn", "archive.example.cn", "https://", "http://host:notaport", ""):
        problem = server_url_problem(nonsense, allow_insecure=True)
        assert problem is not None and "https://archive.example.cn" in problem.message("zh_CN"), nonsense


def test_the_client_itself_refuses_plain_http_to_another_computer() -> None:
    with pytest.raises(SyncError) as err:
        SyncClient("http://archive.example.cn", MemoryTokens(), "dev")
    assert err.value.kind is SyncErrorKind.REFUSED and REFUSED_ZH in err.value.message("zh_CN")
    assert "Error" not in err.value.message("zh_CN")
    SyncClient("http://archive.example.cn", MemoryTokens(), "dev", allow_insecure=True).close()


@pytest.fixture
def listener():
    """A bare TCP socket on 127.0.0.1: it tells whether anyone tried to connect."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(4)
    s.setblocking(False)
    yield s
    s.close()


def connected(listener: socket.socket) -> bool:
    try:
        conn, _ = listener.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


def test_service_login_over_http_to_another_computer_is_refused_before_anything_is_sent(
    server, clients, listener, monkeypatch
) -> None:
    monkeypatch.delenv(syncing.ENV_ALLOW_INSECURE, raising=False)
    c1 = clients("c1")
    remote = f"http://0.0.0.0:{listener.getsockname()[1]}"
    with pytest.raises(SyncError) as err:
        syncing.login(c1.session, remote, "c1", SERVER_PASSWORD)
    assert REFUSED_ZH in err.value.message("zh_CN")
    assert not connected(listener)  # not even a connection was attempted
    assert syncing.binding(c1.session) is None  # the archive was not bound to that address

    # the same address with the development switch: the sign-in reaches the real server
    real = f"http://0.0.0.0:{server.port}"
    monkeypatch.setenv(syncing.ENV_ALLOW_INSECURE, "1")
    data = syncing.login(c1.session, real, "c1", SERVER_PASSWORD)
    assert data.user.name == "c1" and syncing.binding(c1.session) == (real, "c1")
    assert syncing.sync(c1.session).complete
    # the switch off again: the bound address is refused for every request, not only at sign-in
    monkeypatch.delenv(syncing.ENV_ALLOW_INSECURE)
    with pytest.raises(SyncError) as err:
        syncing.sync(c1.session)
    assert REFUSED_ZH in err.value.message("zh_CN")


def cli(home: Path, *args: str):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDARCHIVE_")}
    env.update(
        FIELDARCHIVE_HOME=str(home),
        PYTHONPATH=str(ROOT),
        FIELDARCHIVE_PASSPHRASE=PASSPHRASE,
        FIELDARCHIVE_SERVER_PASSWORD=SERVER_PASSWORD,
    )
    return run_app(args, env=env, timeout=180, cwd=ROOT)


def test_cli_login_refuses_http_to_another_computer_unless_allow_insecure(server, tmp_path, listener) -> None:
    home = tmp_path / "cli-home"
    assert cli(home, "init", "--user", "c1").returncode == 0
    refused = cli(home, "login", "--server", f"http://0.0.0.0:{listener.getsockname()[1]}", "--user", "c1")
    assert refused.returncode == 2 and refused.stderr.startswith(REFUSED_ZH), refused.stderr
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert not connected(listener)
    english = cli(home, "login", "--lang", "en", "--server", "http://archive.example.cn", "--user", "c1")
    assert english.returncode == 2 and "must be encrypted" in english.stderr

    allowed = cli(home, "login", "--allow-insecure", "--server", f"http://0.0.0.0:{server.port}", "--user", "c1")
    assert allowed.returncode == 0, allowed.stderr
    assert "未加密" in allowed.stderr and "--allow-insecure" in allowed.stderr  # said plainly, every time
    local = cli(home, "login", "--server", server.url, "--user", "c1")  # loopback needs no switch
    assert local.returncode == 0 and local.stderr.count("未加密") == 0, local.stderr


# ---- TLS with a throwaway certificate authority --------------------------------------------------


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(folder: Path, name: str) -> tuple[Path, ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(_name(name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    path = folder / f"{name}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path, key, cert


def make_leaf(
    folder: Path, ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate, names: list[x509.GeneralName]
) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("fieldarchive server"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = folder / "server.pem", folder / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)  # serve refuses a TLS key others may read
    return cert_path, key_path


def https_server(tmp_path: Path, names: list[x509.GeneralName]) -> tuple[Server, Path]:
    ca_path, ca_key, ca = make_ca(tmp_path, "bureau-ca")
    cert, key = make_leaf(tmp_path, ca_key, ca, names)
    srv = Server(tmp_path / "server-data")
    srv.admin("user", "add", "c1", "--role", "collector")
    srv.start_tls(cert, key)
    return srv, ca_path


def info(url: str, **kw) -> ServerInfo:
    client = SyncClient(url, MemoryTokens(), "dev-tls", **kw)
    try:
        return client.info()
    finally:
        client.close()


def test_tls_verifies_against_the_trust_store_and_a_bureau_ca_works_once_trusted(tmp_path, monkeypatch) -> None:
    srv, ca_path = https_server(
        tmp_path, [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    )
    try:
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        monkeypatch.delenv("SSL_CERT_DIR", raising=False)
        monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
        monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
        # the bureau's CA is not in the system store: refused, with the one clear message
        with pytest.raises(SyncError) as err:
            info(srv.https_url)
        assert (
            err.value.kind is SyncErrorKind.PROTOCOL
            and err.value.message("zh_CN") == "服务器证书不受信任，已拒绝连接。"
        )
        # the CA added through the client's API: verified and accepted
        assert info(srv.https_url, extra_ca=str(ca_path)).protocol == 1
        assert info(f"https://localhost:{srv.port}", extra_ca=str(ca_path)).protocol == 1
        # the CA as the system's trust store (on Linux truststore reads the bundle OpenSSL is told of,
        # SSL_CERT_FILE; Windows and macOS ask the system's verifier, where IT installs the CA)
        if sys.platform.startswith("linux"):
            monkeypatch.setenv("SSL_CERT_FILE", str(ca_path))
            assert info(srv.https_url).protocol == 1
        # the whole sign-in over TLS
        assert syncing.server_problem(srv.https_url) is None
        client = SyncClient(srv.https_url, MemoryTokens(), "dev-tls", extra_ca=str(ca_path))
        try:
            assert client.login("c1", SERVER_PASSWORD, "tls-test").user.name == "c1"
        finally:
            client.close()
    finally:
        srv.stop()


def test_a_trusted_ca_does_not_excuse_a_certificate_for_another_name(tmp_path, monkeypatch) -> None:
    srv, ca_path = https_server(tmp_path, [x509.DNSName("archive.example.cn")])
    try:
        with pytest.raises(SyncError) as err:
            info(srv.https_url, extra_ca=str(ca_path))
        assert err.value.kind is SyncErrorKind.PROTOCOL and "证书" in err.value.message("zh_CN")
        if sys.platform.startswith("linux"):
            monkeypatch.setenv("SSL_CERT_FILE", str(ca_path))
            with pytest.raises(SyncError):
                info(srv.https_url)
    finally:
        srv.stop()


def test_a_redirect_is_not_followed_so_the_password_goes_nowhere_else(listener) -> None:
    """A server (or something posing as it) answers the sign-in with 307 to another address: the
    client does not go there (a 307 would resend the password), it reports a refusal."""
    import threading

    front = socket.socket()
    front.bind(("127.0.0.1", 0))
    front.listen(1)
    front.settimeout(20)
    elsewhere = f"http://127.0.0.1:{listener.getsockname()[1]}/steal"

    def answer_once() -> None:
        conn, _ = front.accept()
        with conn:
            conn.settimeout(10)
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            conn.sendall(
                b"HTTP/1.1 307 Temporary Redirect\r\nLocation: "
                + elsewhere.encode()
                + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )

    thread = threading.Thread(target=answer_once, daemon=True)
    thread.start()
    client = SyncClient(f"http://127.0.0.1:{front.getsockname()[1]}", MemoryTokens(), "dev")
    try:
        with pytest.raises(SyncError) as err:
            client.login("c1", "secret-password", "test")
        assert err.value.kind is SyncErrorKind.REFUSED
    finally:
        client.close()
        thread.join(20)
        front.close()
    assert not connected(listener)
