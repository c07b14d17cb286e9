"""Webhooks over HTTPS (issue 19): a real server process posts to real receiver processes on 127.0.0.1
serving TLS with certificates of a certificate authority made in the test, on SQLite and PostgreSQL. With
the authority in ``FIELDARCHIVE_WEBHOOK_CA_FILE`` the batch arrives, signed (the receiver checks the
signature); a receiver whose certificate comes from an authority the server does not trust never gets
a request, and the batch goes to the dead-letter list with the reason."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from server import webhooks
from server.config import Settings
from server.integrations import IntegrationError
from tests.server.conftest import free_port
from tests.server.test_outbound import add, approved_customers, people
from tests.server.test_webhooks import QUICK, Receiver, deliveries, wait_for


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def authority(folder: Path, name: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey, Path]:
    """A self-signed certificate authority; its certificate is written to ``folder/name.pem``."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(_name(name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )  # digital signature, certificate and CRL signing
        .sign(key, hashes.SHA256())
    )
    path = folder / f"{name}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, key, path


def leaf(folder: Path, ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, name: str) -> tuple[Path, Path]:
    """A server certificate for 127.0.0.1 issued by ``ca``: (certificate file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = folder / f"{name}.crt", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_delivery_over_https_to_a_trusted_receiver_and_never_to_an_untrusted_one(server_process, db, run, tmp_path):
    people(db)
    bureau, bureau_key, bureau_pem = authority(tmp_path, "bureau-ca")
    stranger, stranger_key, _ = authority(tmp_path, "stranger-ca")
    good_cert, good_key = leaf(tmp_path, bureau, bureau_key, "good")
    bad_cert, bad_key = leaf(tmp_path, stranger, stranger_key, "bad")
    add(run, "crm", "--department", "营销中心", "--scope", "feed:read", "--team", "s1")
    add(run, "gis", "--department", "物流", "--scope", "feed:read", "--team", "s1")
    good_port, bad_port = free_port(), free_port()
    code, crm_secret, err = run("webhook", "set", "crm", f"https://127.0.0.1:{good_port}/hook")
    assert code == 0, err
    code, gis_secret, err = run("webhook", "set", "gis", f"https://127.0.0.1:{bad_port}/hook")
    assert code == 0, err
    (tmp_path / "good").mkdir()
    (tmp_path / "bad").mkdir()
    good = Receiver(tmp_path / "good", crm_secret.strip(), good_port, "--cert", str(good_cert), "--key", str(good_key))
    bad = Receiver(tmp_path / "bad", gis_secret.strip(), bad_port, "--cert", str(bad_cert), "--key", str(bad_key))
    try:
        env = {**QUICK, "FIELDARCHIVE_WEBHOOK_CA_FILE": str(bureau_pem), "FIELDARCHIVE_WEBHOOK_ATTEMPTS": "2"}
        server_process.start(env=env)
        mine = approved_customers(db, "c1", 2)  # one batch of two changes for each webhook
        applied = wait_for(lambda: len(good.applied()) >= 2 and good.applied())
        assert sorted(rid for _, rid, _ in applied) == sorted(mine)
        # the receiver applied it only after checking the signature (a bad one is answered 401 and logged)
        assert [a["what"] for a in good.attempts()] == ["applied"]
        dead = wait_for(lambda: deliveries(db, "dead"))
        assert len(dead) == 1 and dead[0].attempts == 2 and dead[0].last_status is None
        assert dead[0].last_error.startswith("TLS certificate not trusted")
        assert "certificate verify failed" in dead[0].last_error or "unable to get local issuer" in dead[0].last_error
        assert bad.attempts() == [] and bad.applied() == []  # no request ever reached it
        code, out, _ = run("webhook", "dead", "gis")
        listed = json.loads(out)
        assert code == 0 and listed[0]["id"] == dead[0].id and "TLS certificate not trusted" in json.dumps(listed)
    finally:
        good.stop()
        bad.stop()


def test_the_ca_setting_and_plain_http(tmp_path):
    with_ca = Settings.from_env({"FIELDARCHIVE_WEBHOOK_CA_FILE": str(authority(tmp_path, "x")[2])})
    assert with_ca.webhook_ca_file.endswith("x.pem")
    webhooks.tls_context(with_ca.webhook_ca_file)  # a PEM file of authorities loads
    try:
        Settings.from_env({"FIELDARCHIVE_WEBHOOK_CA_FILE": str(tmp_path / "missing.pem")})
    except ValueError as exc:
        assert "FIELDARCHIVE_WEBHOOK_CA_FILE" in str(exc) and "missing.pem" in str(exc)
    else:
        raise AssertionError("a missing CA file was accepted")
    for url in ("http://crm.example/hook", "http://10.0.0.5/hook", "ftp://127.0.0.1/hook"):
        try:
            webhooks.check_url(url)
        except IntegrationError as exc:
            assert "https://" in str(exc)
        else:
            raise AssertionError(f"{url} was accepted")
    assert webhooks.check_url("http://127.0.0.1:8/hook") == "http://127.0.0.1:8/hook"
