"""Certificates for the TLS tests, made with `cryptography`: a CA and the certificates it signs (for
127.0.0.1 and localhost), another CA nobody trusts, and expired or mismatched material."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime.datetime.now(datetime.timezone.utc)


@dataclass
class Pair:
    """A certificate and its key on disk."""
    cert: Path
    key: Path
    not_after: datetime.datetime
    serial: int

    def pem(self) -> str:
        return self.cert.read_text()


class Authority:
    """A CA writing the certificates it signs under `directory`."""

    def __init__(self, directory: Path, name: str):
        self.directory = directory
        self.name = name
        self.key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} test CA")])
        self.certificate = (
            x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - datetime.timedelta(days=1)).not_valid_after(NOW + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(self.key, hashes.SHA256()))
        self.path = directory / f"{name}-ca.pem"
        self.path.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))

    def issue(self, file_name: str, common_name: str = "client-analyze", *, client: bool = False,
              not_before: datetime.datetime | None = None, not_after: datetime.datetime | None = None,
              names: tuple[str, ...] = ("localhost",), loopback: bool = True) -> Pair:
        """A certificate for the DNS `names` (and 127.0.0.1 unless `loopback` is false)."""
        key = ec.generate_private_key(ec.SECP256R1())
        not_before = not_before or NOW - datetime.timedelta(hours=1)
        not_after = not_after or NOW + datetime.timedelta(days=30)
        usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        serial = x509.random_serial_number()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(self.certificate.subject).public_key(key.public_key()).serial_number(serial)
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName(name) for name in names] + ([x509.IPAddress(IPv4Address("127.0.0.1"))] if loopback else [])),
                critical=False)
            .add_extension(x509.ExtendedKeyUsage([usage, ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(self.key, hashes.SHA256()))
        cert_path, key_path = self.directory / f"{file_name}.pem", self.directory / f"{file_name}.key"
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        return Pair(cert_path, key_path, not_after.replace(microsecond=0), serial)

    def issue_expired(self, file_name: str, client: bool = False) -> Pair:
        return self.issue(file_name, client=client, not_before=NOW - datetime.timedelta(days=10),
                          not_after=NOW - datetime.timedelta(days=1))


class PKI:
    """Everything the TLS tests use: `ca` signs what the services trust, `other` is a CA nobody trusts."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.ca = Authority(directory, "trusted")
        self.other = Authority(directory, "other")
        self.server = self.ca.issue("server")
        self.renewed = self.ca.issue("renewed")
        self.expired = self.ca.issue_expired("expired")
        self.client = self.ca.issue("client", "analyzer", client=True)
        self.expired_client = self.ca.issue_expired("expired-client", client=True)
        self.stranger_client = self.other.issue("stranger-client", "stranger", client=True)
        self.stranger_server = self.other.issue("stranger-server")
        self.elsewhere = self.ca.issue("elsewhere", names=("other.test",), loopback=False)

    def server_args(self, pair: Pair | None = None, client_ca: bool = False) -> tuple[str, ...]:
        pair = pair or self.server
        args = ("--set", f"tls.certificate_file={pair.cert}", "--set", f"tls.key_file={pair.key}")
        return args + (("--set", f"tls.client_ca_file={self.ca.path}") if client_ca else ())

    def client_args(self, pair: Pair | None = None) -> tuple[str, ...]:
        pair = pair or self.client
        return ("--set", "dependencies.tls.enabled=true", "--set", f"dependencies.tls.ca_file={self.ca.path}",
                "--set", f"dependencies.tls.certificate_file={pair.cert}", "--set", f"dependencies.tls.key_file={pair.key}")

    def grpc_env(self, pair: Pair | None = None, ca: Path | None = None) -> dict[str, str]:
        """chassis_client.py's variables: trust `ca` (the trusted CA by default), present `pair` if given."""
        env = {"CLA_TEST_TLS_CA": str(ca or self.ca.path)}
        if pair:
            env |= {"CLA_TEST_TLS_CERT": str(pair.cert), "CLA_TEST_TLS_KEY": str(pair.key)}
        return env
