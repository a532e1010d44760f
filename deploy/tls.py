"""Make the production profile's TLS files on first start, unless real ones are mounted.

nginx reads ``<certs>/tls.crt`` (the certificate, then its chain) and ``<certs>/tls.key``. When
they are missing, a private certificate authority is generated and signs a certificate for
TLS_HOSTNAMES (default ``localhost``, plus 127.0.0.1 and ::1); its ``ca.crt`` is what clients
verify against. Mounted certificates are never touched.

``<bundle>`` is the CA bundle the servers use for their own https calls (the shops fetching the
issuer's keys, the identity server posting logout tokens to the shops): the system's bundle,
plus ``<certs>/ca.crt`` when there is one.
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SYSTEM_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
LOOPBACK = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))
CA_DAYS = 3650
# 397 days: the longest validity browsers accept for a server certificate.
CERT_DAYS = 397


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    path.touch(mode=mode)
    path.write_bytes(data)


def ca_create(now: datetime.datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """Return a new CA key and its self-signed certificate, with the extensions that strict
    X.509 verification (Python 3.13's default) requires."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name("SSO stack local CA"))
        .issuer_name(_name("SSO stack local CA"))
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def server_certificate_create(
    hostnames: list[str],
    *,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_certificate: x509.Certificate,
    now: datetime.datetime,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """Return a key and a certificate for ``hostnames`` (and loopback) signed by the CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(name) for name in hostnames]
    names += [x509.IPAddress(address) for address in LOOPBACK]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(hostnames[0]))
        .issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CERT_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, certificate


def tls_files_ensure(certs: Path, hostnames: list[str]) -> bool:
    """Write a CA, tls.crt and tls.key into ``certs`` unless tls.crt is there; return whether
    they were made."""
    if (certs / "tls.crt").exists():
        return False
    now = datetime.datetime.now(datetime.UTC)
    ca_key, ca_certificate = ca_create(now)
    key, certificate = server_certificate_create(
        hostnames, ca_key=ca_key, ca_certificate=ca_certificate, now=now
    )
    pem = serialization.Encoding.PEM
    certs.mkdir(parents=True, exist_ok=True)
    _write(certs / "ca.crt", ca_certificate.public_bytes(pem))
    _write(certs / "tls.key", _pem(key), mode=0o600)
    # Written last: its presence is what says the set is complete.
    _write(certs / "tls.crt", certificate.public_bytes(pem) + ca_certificate.public_bytes(pem))
    return True


def trust_bundle_write(bundle: Path, certs: Path) -> None:
    """Write the system CA bundle plus ``certs/ca.crt`` (when present) to ``bundle``."""
    parts = [SYSTEM_BUNDLE.read_bytes()] if SYSTEM_BUNDLE.exists() else []
    if (certs / "ca.crt").exists():
        parts.append((certs / "ca.crt").read_bytes())
    bundle.parent.mkdir(parents=True, exist_ok=True)
    bundle.write_bytes(b"\n".join(parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certs", type=Path, default=Path("/certs"))
    parser.add_argument("--bundle", type=Path, default=Path("/trust/ca-bundle.pem"))
    args = parser.parse_args()
    hostnames = os.environ.get("TLS_HOSTNAMES", "localhost").split(",")
    hostnames = [name.strip() for name in hostnames if name.strip()] or ["localhost"]
    made = tls_files_ensure(args.certs, hostnames)
    trust_bundle_write(args.bundle, args.certs)
    what = f"Generated a certificate for {', '.join(hostnames)}" if made else "Kept the certificate"
    print(f"{what} in {args.certs}; CA bundle {args.bundle}")


if __name__ == "__main__":
    main()
