"""A verifier written without Aula's code: what any third party holding a constancia's
credential would do with public specifications only (W3C VC Data Integrity
``eddsa-jcs-2022``, Multikey, Bitstring Status List v1.0). It fetches documents through
``fetch(url) -> (status, headers, bytes)``, given by the test (HTTP client or live server),
and imports nothing from ``lms``.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from collections.abc import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

Fetch = Callable[[str], tuple[int, dict[str, str], bytes]]
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58(text: str) -> bytes:
    number = 0
    for char in text:
        number = number * 58 + BASE58.index(char)
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")


def jcs(value: object) -> bytes:
    # RFC 8785 for documents of strings, integers, booleans, lists and objects.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def fetch_json(fetch: Fetch, url: str) -> dict:
    status, _headers, body = fetch(url)
    assert status == 200, (url, status)
    return json.loads(body)


def proof_is_valid(document: dict, fetch: Fetch) -> bool:
    """The Data Integrity proof, with the key resolved from its verificationMethod URL."""
    unsigned = dict(document)
    proof = unsigned.pop("proof")
    if isinstance(proof, list):  # Open Badges 3.0 writes a list of proofs; Aula signs one
        (proof,) = proof
    proof = dict(proof)
    signature = base58(proof.pop("proofValue")[1:])
    method = proof["verificationMethod"]
    controller = fetch_json(fetch, method.split("#")[0])
    (key,) = [k for k in controller["verificationMethod"] if k["id"] == method]
    assert method in controller["assertionMethod"]
    raw = base58(key["publicKeyMultibase"][1:])
    assert raw[:2] == b"\xed\x01"
    options = {**proof, "@context": unsigned["@context"]}
    data = hashlib.sha256(jcs(options)).digest() + hashlib.sha256(jcs(unsigned)).digest()
    try:
        Ed25519PublicKey.from_public_bytes(raw[2:]).verify(signature, data)
    except InvalidSignature:
        return False
    return True


def status_bit(credential: dict, fetch: Fetch) -> bool:
    """Bitstring Status List v1.0 §3.2 (validate algorithm): fetch the list credential,
    check its proof and purpose, decode the GZIP bitstring, read the bit (index 0 is the
    left-most bit of the first byte)."""
    entry = credential["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry"
    listed = fetch_json(fetch, entry["statusListCredential"])
    assert listed["id"] == entry["statusListCredential"]
    assert "BitstringStatusListCredential" in listed["type"]
    assert proof_is_valid(listed, fetch), "the status list's own proof"
    subject = listed["credentialSubject"]
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == entry["statusPurpose"] == "revocation"
    encoded = subject["encodedList"]
    assert encoded.startswith("u")  # multibase base64url, no padding
    body = encoded[1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert len(bits) * 8 >= 131_072  # the minimum size, for group privacy
    index = int(entry["statusListIndex"])
    return bool(bits[index // 8] & (0x80 >> (index % 8)))
