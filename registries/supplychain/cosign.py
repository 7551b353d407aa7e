"""cosign's signatures, checked against public keys: plain Python, no Django, no HTTP.

Key-based signing (https://github.com/sigstore/cosign/blob/main/specs/SIGNATURE_SPEC.md):
a `.sig` manifest's layers are simple-signing payloads; the base64 ASN.1 DER ECDSA signature
over the payload's exact bytes is in the layer annotation `dev.cosignproject.cosign/signature`,
and the payload names the image by `critical.image.docker-manifest-digest`. Attestations
(`.att`) are DSSE envelopes signed over their pre-authentication encoding
(https://github.com/secure-systems-lab/dsse/blob/master/protocol.md).
Keyless signatures carry a Fulcio certificate or a Rekor bundle instead of relying on a key
the registry knows: regfront does not check those chains, and says so.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
# Any of these makes a signature keyless (Fulcio certificate, its chain, a Rekor bundle).
KEYLESS_ANNOTATIONS = (
    "dev.sigstore.cosign/certificate",
    "dev.sigstore.cosign/chain",
    "dev.sigstore.cosign/bundle",
)
SIMPLE_SIGNING_TYPE = "cosign container image signature"
PEM_MAX_LENGTH = 4096  # a P-256 public key is ~180 characters of PEM
SIGNATURE_MAX_LENGTH = 1024  # a DER P-256 signature is at most 72 bytes

State = Literal["verified", "failed", "unverified"]


@dataclass(frozen=True)
class PublicKey:
    name: str
    key: ec.EllipticCurvePublicKey


@dataclass(frozen=True)
class Verification:
    """`verified`: a configured key signed it, for this image; `failed`: it does not verify;
    `unverified`: signed, but nothing here can check it (keyless, or no key configured)."""

    state: State
    message: str
    key_name: str = ""


def load_public_key(pem: str) -> ec.EllipticCurvePublicKey:
    """An ECDSA P-256 public key from PEM, or ValueError saying what it is instead."""
    if len(pem) > PEM_MAX_LENGTH:
        raise ValueError("This is far longer than an ECDSA P-256 public key.")
    try:
        key = serialization.load_pem_public_key(pem.strip().encode())
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValueError(
            "This is not a PEM public key (-----BEGIN PUBLIC KEY-----, as `cosign "
            "generate-key-pair` writes to cosign.pub)."
        ) from exc
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("This public key is not an ECDSA key; cosign keys are ECDSA P-256.")
    if not isinstance(key.curve, ec.SECP256R1):
        raise ValueError(f"This ECDSA key is on {key.curve.name}, not P-256 (secp256r1).")
    return key


def fingerprint(key: ec.EllipticCurvePublicKey) -> str:
    """SHA-256 of the key's DER SubjectPublicKeyInfo, as hex: tells keys apart on pages."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def is_keyless(annotations: dict[str, str]) -> bool:
    return any(annotations.get(name) for name in KEYLESS_ANNOTATIONS)


def _decode_signature(text: str) -> bytes | None:
    if not text or len(text) > SIGNATURE_MAX_LENGTH:
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _signed_by(keys: list[PublicKey], signature: bytes, message: bytes) -> PublicKey | None:
    for candidate in keys:
        try:
            candidate.key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            continue
        return candidate
    return None


def _not_checked(keys: list[PublicKey], *, keyless: bool) -> Verification:
    if keyless:
        return Verification(
            "unverified",
            "Signed keyless (a certificate or transparency-log bundle): not verified here.",
        )
    if not keys:
        return Verification(
            "unverified", "Signed, not verified here: no public key is configured for this "
            "registry.",
        )  # fmt: skip
    return Verification(
        "failed",
        f"The signature does not verify with the {len(keys)} key{'s' if len(keys) > 1 else ''} "
        "configured for this registry.",
    )


def _payload_digest(payload: bytes) -> str | None:
    """`critical.image.docker-manifest-digest`, when the payload is a simple-signing one."""
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    critical = data.get("critical") if isinstance(data, dict) else None
    image = critical.get("image") if isinstance(critical, dict) else None
    digest = image.get("docker-manifest-digest") if isinstance(image, dict) else None
    kind = critical.get("type") if isinstance(critical, dict) else None
    if kind != SIMPLE_SIGNING_TYPE or not isinstance(digest, str):
        return None
    return digest


def verify_simple_signing(
    *, payload: bytes, annotations: dict[str, str], image_digest: str, keys: list[PublicKey]
) -> Verification:
    """One `.sig` layer: its signature over the exact payload bytes, then the digest named."""
    keyless = is_keyless(annotations)
    signature = _decode_signature(annotations.get(SIGNATURE_ANNOTATION, ""))
    if signature is None:
        if keyless:
            return _not_checked(keys, keyless=True)
        return Verification("failed", "The signature annotation is missing or not base64.")
    signer = _signed_by(keys, signature, payload)
    if signer is None:
        return _not_checked(keys, keyless=keyless)
    named = _payload_digest(payload)
    if named is None:
        return Verification(
            "failed",
            f"Signed with key {signer.name}, but the payload is not a cosign simple-signing "
            "payload.",
            signer.name,
        )
    if named != image_digest:
        return Verification(
            "failed",
            f"The signature does not verify for this image: key {signer.name} signed "
            f"another digest ({named[:80]}).",
            signer.name,
        )
    return Verification("verified", f"Verified with key {signer.name}.", signer.name)


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what an envelope's signatures cover."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def verify_envelope(
    *,
    payload_type: str,
    payload: bytes,
    signatures: tuple[str, ...],
    subjects: tuple[str, ...],
    image_digest: str,
    keyless: bool,
    keys: list[PublicKey],
) -> Verification:
    """A DSSE envelope (a cosign attestation): any signature by a configured key, and the
    statement must name this image among its subjects."""
    if not signatures:
        return Verification("unverified", "Not signed.")
    message = pae(payload_type, payload)
    for text in signatures:
        signature = _decode_signature(text)
        signer = _signed_by(keys, signature, message) if signature else None
        if signer is None:
            continue
        if image_digest not in subjects:
            return Verification(
                "failed",
                f"Signed with key {signer.name}, but the statement is about another image.",
                signer.name,
            )
        return Verification("verified", f"Verified with key {signer.name}.", signer.name)
    return _not_checked(keys, keyless=keyless)
