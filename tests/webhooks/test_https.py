"""HTTPS to the checked address: the TLS server name and certificate check use the URL's host
name, while the connection goes to the address the guard approved."""

from __future__ import annotations

import ssl
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kassa.webhooks.ssrf import Guard, TargetPolicy, parse_networks
from kassa.webhooks.transport import Job, Sender
from tests.webhooks.conftest import ReceiverFactory


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_ca_and_cert(directory: Path, host: str) -> tuple[Path, Path, Path]:
    """A test CA and a certificate for ``host`` signed by it (files: ca, cert, key)."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Kassa test CA"))
        .issuer_name(_name("Kassa test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(host))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def job(url: str) -> Job:
    return Job(1, 1, "msg_tls", uuid.uuid4(), None, url, b"{}", (b"key",), 0)


async def to_localhost(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


async def test_https_verifies_the_host_name_on_the_checked_address(
    make_receiver: ReceiverFactory, tmp_path: Path
) -> None:
    ca, cert, key = make_ca_and_cert(tmp_path, "hooks.example")
    receiver = await make_receiver(str(cert), str(key))
    trust = ssl.create_default_context(cafile=str(ca))
    policy = TargetPolicy(allowed=parse_networks("127.0.0.0/8"))
    sender = Sender(Guard(policy, to_localhost), 5, verify=trust)
    try:
        good = await sender.send(job(f"https://hooks.example:{receiver.port}/tls"))
        wrong = await sender.send(job(f"https://other.example:{receiver.port}/tls"))
    finally:
        await sender.aclose()

    assert good.status_code == 200, good.error
    [request] = receiver.requests
    assert request.headers["host"] == f"hooks.example:{receiver.port}"
    assert wrong.status_code is None
    assert wrong.error is not None
    assert wrong.error.startswith("TLS error")
