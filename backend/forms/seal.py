"""Seal PDFs: a PAdES signature with the operator's certificate, loaded once per process."""

import hashlib
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.general import get_pyca_cryptography_hash

log = logging.getLogger(__name__)

DEMO_COMMON_NAME = "Doorstep DEMO seal — not for production"
SIGNATURE_FIELD = "DoorstepSeal"


@dataclass(frozen=True)
class SealSettings:
    """Where the operator's certificate comes from and which timestamp authority to ask."""

    pkcs12_path: Path
    passphrase: bytes | None = None
    tsa_url: str | None = None
    reason: str = "服务单电子签章 / Service form seal"
    location: str = ""


class _KeyCachingSigner(signers.SimpleSigner):
    """A SimpleSigner that parses its private key once instead of on every signature.

    pyHanko re-parses the DER key in each sign_raw call and signs twice per PDF (once to size
    the signature); for RSA keys that parsing dominated the sealing time.
    """

    def __init__(self, *args, pyca_key, **kwargs):
        super().__init__(*args, **kwargs)
        self._pyca_key = pyca_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "ecdsa":
            return self._pyca_key.sign(data, ECDSA(hash_algo))
        if mechanism == "rsassa_pkcs1v15" and isinstance(self._pyca_key, RSAPrivateKey):
            return self._pyca_key.sign(data, PKCS1v15(), hash_algo)
        return super().sign_raw(data, digest_algorithm)


class Sealer:
    """Signs PDFs as PAdES with one loaded certificate."""

    def __init__(self, settings: SealSettings):
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        key, cert, extra = pkcs12.load_key_and_certificates(
            Path(settings.pkcs12_path).read_bytes(), settings.passphrase
        )
        if key is None or cert is None:
            raise ValueError(f"{settings.pkcs12_path} holds no key and certificate")
        chain = [cert_to_asn1(c) for c in extra]
        registry = SimpleCertificateStore()
        registry.register_multiple(chain)
        self.signer = _KeyCachingSigner(
            signing_cert=cert_to_asn1(cert), signing_key=key_to_asn1(key), cert_registry=registry, pyca_key=key
        )
        self.certificate = cert
        self.subject = cert.subject.rfc4514_string()
        self.certificate_pem = cert.public_bytes(serialization.Encoding.PEM)
        self.timestamper = timestamps.HTTPTimeStamper(settings.tsa_url) if settings.tsa_url else None
        self.settings = settings
        # Reserve the signature's room up front so pyHanko signs once, not twice to measure it.
        certs_size = len(cert.public_bytes(serialization.Encoding.DER)) + sum(len(c.dump()) for c in chain)
        reserved = 4096 + certs_size + (12288 if self.timestamper else 0)
        self.bytes_reserved = (reserved + 255) // 256 * 256  # pyHanko wants an even count

    def seal(self, pdf: bytes) -> bytes:
        """Return pdf with the operator's PAdES signature appended."""
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        meta = signers.PdfSignatureMetadata(
            field_name=SIGNATURE_FIELD,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=self.settings.reason,
            location=self.settings.location or None,
        )
        pdf_signer = signers.PdfSigner(meta, signer=self.signer, timestamper=self.timestamper)
        out = pdf_signer.sign_pdf(writer, bytes_reserved=self.bytes_reserved)
        return out.getvalue()


def cert_to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    """Return the certificate in the asn1crypto form pyHanko works with."""
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def key_to_asn1(key) -> asn1_keys.PrivateKeyInfo:
    """Return the private key in the asn1crypto form pyHanko works with."""
    return asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


def sha256_hex(data: bytes) -> str:
    """Return the SHA-256 of data as lowercase hex."""
    return hashlib.sha256(data).hexdigest()


def create_demo_pkcs12(path: Path, passphrase: bytes | None = None, *, days: int = 3650) -> Path:
    """Write a self-signed DEMO seal certificate (clearly named as such) as PKCS#12 to path."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, DEMO_COMMON_NAME),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Doorstep DEMO (not a real operator)"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    encryption = serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    data = pkcs12.serialize_key_and_certificates(b"doorstep-demo-seal", key, cert, None, encryption)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o600)
    return path


_sealer: Sealer | None = None
_sealer_lock = threading.Lock()


def configure(settings: SealSettings) -> Sealer:
    """Load the operator's certificate for this process and return the sealer."""
    global _sealer
    with _sealer_lock:
        _sealer = Sealer(settings)
        log.info("forms: sealing as %s", _sealer.subject)
        return _sealer


def get_sealer() -> Sealer:
    """Return the process's sealer; configure() must have run (the app does it at start-up)."""
    if _sealer is None:
        raise RuntimeError("no seal certificate configured: call backend.forms.seal.configure()")
    return _sealer


def seal_pdf(pdf: bytes) -> bytes:
    """Return pdf sealed with the process's operator certificate."""
    return get_sealer().seal(pdf)
