"""cosign verification with keys made in the test: a signature over the exact payload bytes
verifies, and a tampered payload, a payload for another digest, a wrong key, a keyless
signature and broken annotations each say what they are."""

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from registries.supplychain.cosign import (
    PublicKey,
    fingerprint,
    load_public_key,
    verify_envelope,
    verify_simple_signing,
)
from tests.supplychain.build import IN_TOTO, KeyPair, pae, simple_signing_payload

DIGEST = "sha256:" + "ab" * 32
OTHER = "sha256:" + "cd" * 32
SIGNATURE = "dev.cosignproject.cosign/signature"


@pytest.fixture(scope="module")
def release():
    return KeyPair.generate()


def keys(*pairs: tuple[str, KeyPair]) -> list[PublicKey]:
    return [PublicKey(name, load_public_key(pair.public_pem)) for name, pair in pairs]


def check(payload: bytes, annotations: dict, key_list: list[PublicKey], digest: str = DIGEST):
    return verify_simple_signing(
        payload=payload, annotations=annotations, image_digest=digest, keys=key_list
    )


def test_it_verifies_a_signature_over_the_exact_payload(release):
    payload = simple_signing_payload(DIGEST)
    other = KeyPair.generate()
    result = check(
        payload, {SIGNATURE: release.sign(payload)}, keys(("ci", other), ("release", release))
    )
    assert (result.state, result.key_name) == ("verified", "release")
    assert result.message == "Verified with key release."


def test_a_tampered_payload_does_not_verify(release):
    payload = simple_signing_payload(DIGEST)
    tampered = payload.replace(b"127.0.0.1/app", b"127.0.0.1/evil")
    result = check(tampered, {SIGNATURE: release.sign(payload)}, keys(("release", release)))
    assert result.state == "failed"
    assert (
        result.message
        == "The signature does not verify with the 1 key configured for this registry."
    )


def test_a_payload_for_another_digest_does_not_verify_for_this_image(release):
    payload = simple_signing_payload(OTHER)
    result = check(payload, {SIGNATURE: release.sign(payload)}, keys(("release", release)))
    assert result.state == "failed"
    assert result.key_name == "release"
    assert f"key release signed another digest ({OTHER})" in result.message


def test_a_wrong_key_does_not_verify_and_no_key_is_not_a_failure(release):
    payload = simple_signing_payload(DIGEST)
    annotations = {SIGNATURE: release.sign(payload)}
    wrong = check(payload, annotations, keys(("a", KeyPair.generate()), ("b", KeyPair.generate())))
    assert (wrong.state, wrong.message) == (
        "failed", "The signature does not verify with the 2 keys configured for this registry."
    )  # fmt: skip
    unchecked = check(payload, annotations, [])
    assert unchecked.state == "unverified"
    assert "no public key is configured" in unchecked.message


def test_keyless_signatures_are_signed_not_verified_here(release):
    payload = simple_signing_payload(DIGEST)
    annotations = {
        SIGNATURE: KeyPair.generate().sign(payload),  # an ephemeral key: nobody configured it
        "dev.sigstore.cosign/certificate": "-----BEGIN CERTIFICATE-----\n…",
        "dev.sigstore.cosign/bundle": json.dumps({"SignedEntryTimestamp": "…"}),
    }
    result = check(payload, annotations, keys(("release", release)))
    assert result.state == "unverified"
    assert result.message.startswith("Signed keyless")


@pytest.mark.parametrize("signature", ["", "not base64!", "A" * 5000, "AAAA"])
def test_a_missing_or_broken_signature_annotation_fails(release, signature):
    result = check(simple_signing_payload(DIGEST), {SIGNATURE: signature}, keys(("r", release)))
    assert result.state == "failed"


def test_a_signed_payload_that_is_not_simple_signing_fails(release):
    payload = b'{"critical": {"image": {"docker-manifest-digest": "%s"}}}' % DIGEST.encode()
    result = check(payload, {SIGNATURE: release.sign(payload)}, keys(("release", release)))
    assert result.state == "failed"
    assert "not a cosign simple-signing payload" in result.message


def test_dsse_envelopes_verify_over_their_pre_authentication_encoding(release):
    body = b'{"_type": "https://in-toto.io/Statement/v0.1"}'
    signature = release.sign(pae(IN_TOTO, body))
    common = {"payload_type": IN_TOTO, "payload": body, "keyless": False}
    ok = verify_envelope(
        **common, signatures=(signature,), subjects=(DIGEST,), image_digest=DIGEST,
        keys=keys(("release", release)),
    )  # fmt: skip
    assert (ok.state, ok.key_name) == ("verified", "release")
    elsewhere = verify_envelope(
        **common, signatures=(signature,), subjects=(OTHER,), image_digest=DIGEST,
        keys=keys(("release", release)),
    )  # fmt: skip
    assert elsewhere.state == "failed"
    over_body = verify_envelope(
        **common, signatures=(release.sign(body),), subjects=(DIGEST,), image_digest=DIGEST,
        keys=keys(("release", release)),
    )  # fmt: skip
    assert over_body.state == "failed"


def _pem(key) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.mark.parametrize(
    ("pem", "message"),
    [
        ("hello", "This is not a PEM public key"),
        (_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)), "not an ECDSA key"),
        (_pem(ec.generate_private_key(ec.SECP384R1())), "on secp384r1, not P-256"),
        ("A" * 5000, "far longer"),
    ],
)
def test_only_p256_public_keys_load(pem, message):
    with pytest.raises(ValueError, match=message):
        load_public_key(pem)


def test_the_fingerprint_is_the_sha256_of_the_der_key(release):
    import hashlib

    der = release.private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert fingerprint(load_public_key(release.public_pem)) == hashlib.sha256(der).hexdigest()
