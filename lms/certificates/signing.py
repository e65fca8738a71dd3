"""Signing and verifying constancias as Open Badges 3.0 / W3C Verifiable Credentials.

The proof is a W3C Data Integrity proof with the ``eddsa-jcs-2022`` cryptosuite: the
credential and the proof options are canonicalised with JCS (RFC 8785; our documents hold
only strings, integers and booleans, for which sorted-key compact JSON is JCS), hashed with
SHA-256, and the concatenation of the two hashes is signed with Ed25519. The public key is
published as a Multikey at ``/.well-known/aula-issuer.json``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_ED25519_MULTICODEC = b"\xed\x01"


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _B58[rest] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        number = number * 58 + _B58.index(char)
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def private_key() -> Ed25519PrivateKey:
    """The issuer's key: 32 bytes, base64, from AULA_SIGNING_KEY. Development derives one
    from SECRET_KEY so it works out of the box; production refuses to run without it."""
    encoded = getattr(settings, "AULA_SIGNING_KEY", "")
    if encoded:
        return _key_from_setting(encoded)
    if not settings.DEBUG and not getattr(settings, "AULA_ALLOW_DERIVED_SIGNING_KEY", False):
        raise ImproperlyConfigured("Defina AULA_SIGNING_KEY para firmar constancias.")
    return _derived_key(settings.SECRET_KEY)


# The key objects are kept per process, keyed by the settings they come from: a rotated
# key (or another SECRET_KEY in a test) is another key, never a stale one.
@lru_cache(maxsize=8)
def _key_from_setting(encoded: str) -> Ed25519PrivateKey:
    try:
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(encoded))
    except ValueError as exc:
        raise ImproperlyConfigured(
            "AULA_SIGNING_KEY debe ser 32 bytes en base64 (clave privada Ed25519)."
        ) from exc


@lru_cache(maxsize=8)
def _derived_key(secret_key: str) -> Ed25519PrivateKey:
    seed = hashlib.sha256(b"aula-dev-signing-key:" + secret_key.encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_multibase(public: Ed25519PublicKey | None = None) -> str:
    public = public or private_key().public_key()
    return _multibase(public.public_bytes(Encoding.Raw, PublicFormat.Raw))


@lru_cache(maxsize=8)
def _multibase(raw: bytes) -> str:
    return "z" + b58encode(_ED25519_MULTICODEC + raw)


def public_key_from_multibase(value: str) -> Ed25519PublicKey:
    data = b58decode(value[1:]) if value.startswith("z") else b""
    if not data.startswith(_ED25519_MULTICODEC) or len(data) != 34:
        raise ValueError("not an Ed25519 Multikey")
    return Ed25519PublicKey.from_public_bytes(data[2:])


def _hash_data(unsigned: dict[str, Any], options: dict[str, Any]) -> bytes:
    return (
        hashlib.sha256(canonical(options)).digest() + hashlib.sha256(canonical(unsigned)).digest()
    )


def sign(credential: dict[str, Any], *, verification_method: str, created: str) -> dict[str, Any]:
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
        "@context": credential["@context"],
    }
    signature = private_key().sign(_hash_data(credential, options))
    proof = {k: v for k, v in options.items() if k != "@context"}
    proof["proofValue"] = "z" + b58encode(signature)
    # A list of one proof, as Open Badges 3.0 writes it (``proof``: Proof [0..*]; its JSON
    # Schema wants an array); VC 2.0 allows both. The proof is not part of what is signed.
    return {**credential, "proof": [proof]}


def only_proof(signed: dict[str, Any]) -> dict[str, Any] | None:
    """The document's one proof, written as an object (constancias issued before
    2026-12-03) or as a list of one; None for anything else."""
    proof = signed.get("proof")
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]
    return proof if isinstance(proof, dict) else None


def verify(signed: dict[str, Any], public: Ed25519PublicKey) -> bool:
    """True when the proof was made by ``public`` over exactly this credential."""
    found = only_proof(signed) if isinstance(signed, dict) else None
    if found is None:
        return False
    proof = dict(found)
    document = {k: copy.deepcopy(v) for k, v in signed.items() if k != "proof"}
    value = proof.pop("proofValue", "")
    if proof.get("cryptosuite") != "eddsa-jcs-2022" or not str(value).startswith("z"):
        return False
    options = {**proof, "@context": document.get("@context")}
    try:
        public.verify(b58decode(value[1:]), _hash_data(document, options))
    except (InvalidSignature, ValueError):
        return False
    return True
