"""Revocation any verifier can see: a W3C Bitstring Status List v1.0.

Each certificate owns one bit (``Certificate.status_index``) of a list of ``SIZE`` bits
(131,072: the minimum the specification asks, so a list says nothing of how many
certificates exist). A revoked certificate's bit is 1. Aula publishes each list as a
``BitstringStatusListCredential`` signed with the issuer's key (the same
``eddsa-jcs-2022`` proof as the constancias) at a stable address,
``/constancias/estado/<n>/``, built from the database when asked: a revocation shows at
once. The signed document is kept in the cache under the list's version (how many of its
certificates are revoked, and the last revocation), so an unchanged list is signed once,
and a changed one is never served stale from the cache.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import secrets
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.core.cache import cache
from django.db.models import Count, F, Max, Min, QuerySet
from django.urls import Resolver404, resolve, reverse

from lms.certificates import signing
from lms.certificates.models import Certificate

SIZE = 131_072  # bits per list
PURPOSE = "revocation"
# How long a verifier (or a proxy) may keep a list before asking again, in seconds: the
# page itself is always current; this only bounds what others cache.
MAX_AGE = 60
CONTEXT = ["https://www.w3.org/ns/credentials/v2"]


def _public_url(path: str) -> str:
    from lms.certificates.credentials import public_url

    return public_url(path)


def list_url(number: int) -> str:
    return _public_url(reverse("certificates:status_list", args=[number]))


def number_of(url: str) -> int | None:
    """The number of the list published at ``url`` by this site, or None."""
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return None
    if match.view_name != "certificates:status_list":
        return None
    number = int(match.kwargs["number"])
    return number if list_url(number) == url else None


def entry(certificate: Certificate) -> dict[str, str]:
    """The ``credentialStatus`` of a certificate's credential."""
    index = certificate.status_index
    assert index is not None
    number, position = divmod(index, SIZE)
    url = list_url(number)
    return {
        "id": f"{url}#{position}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": PURPOSE,
        "statusListIndex": str(position),
        "statusListCredential": url,
    }


def free_index() -> int:
    """A random free bit of the first list that still has room (random: the order of
    issue is not readable from the list)."""
    # How many bits each list has taken, in one query.
    taken_in: dict[int, int] = dict(
        Certificate.objects.filter(status_index__isnull=False)
        .annotate(number=F("status_index") / SIZE)
        .values("number")
        .annotate(taken=Count("pk"))
        .values_list("number", "taken")
        .order_by()
    )
    number = sum(taken_in.values()) // SIZE
    while True:
        start = number * SIZE
        if taken_in.get(number, 0) < SIZE * 3 // 4:
            for _try in range(64):
                candidate = start + secrets.randbelow(SIZE)
                if not Certificate.objects.filter(status_index=candidate).exists():
                    return candidate
        number += 1


def encode(revoked_positions: list[int]) -> str:
    """Multibase base64url (``u``, no padding) of the GZIP-compressed bitstring; bit 0 is
    the most significant bit of the first byte."""
    bits = bytearray(SIZE // 8)
    for position in revoked_positions:
        bits[position // 8] |= 0x80 >> (position % 8)
    # mtime=0: the same list always compresses to the same bytes (stable ETag).
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def decode(encoded: str) -> bytes:
    if not encoded.startswith("u"):
        raise ValueError("not multibase base64url")
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def is_set(bitstring: bytes, position: int) -> bool:
    return bool(bitstring[position // 8] & (0x80 >> (position % 8)))


def _in_list(number: int) -> QuerySet[Certificate]:
    return Certificate.objects.filter(
        status_index__gte=number * SIZE, status_index__lt=(number + 1) * SIZE
    )


def exists(number: int) -> bool:
    return number >= 0 and _in_list(number).exists()


def status_list_credential(number: int) -> dict[str, Any]:
    """The signed ``BitstringStatusListCredential`` of list ``number``, as of now."""
    revoked = _in_list(number).filter(revoked_at__isnull=False)
    version = revoked.aggregate(count=Count("pk"), last=Max("revoked_at"))
    last = version["last"]
    from lms.certificates.credentials import issuer_id

    # Everything the signed document depends on: the list's revocations, its address and
    # the issuer's key (both fixed in production, but never trusted to be).
    signer = hashlib.sha256(
        f"{list_url(number)} {issuer_id()} {signing.public_key_multibase()}".encode()
    ).hexdigest()[:16]
    key = (
        f"aula:status-list:{number}:{version['count']}:{last.isoformat() if last else '-'}:{signer}"
    )
    document: dict[str, Any] | None = cache.get(key)
    if document is None:
        document = _build(
            number,
            [
                index % SIZE
                for index in revoked.values_list("status_index", flat=True)
                if index is not None
            ],
            since=last or _in_list(number).aggregate(first=Min("issued_at"))["first"],
        )
        cache.set(key, document, 24 * 60 * 60)
    return document


def _build(number: int, revoked_positions: list[int], *, since: datetime) -> dict[str, Any]:
    from lms.certificates.credentials import issuer_id

    url = list_url(number)
    valid_from = since.replace(microsecond=0).isoformat(timespec="seconds")
    document = {
        "@context": CONTEXT,
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id(),
        "validFrom": valid_from,
        "credentialSubject": {
            "id": f"{url}#lista",
            "type": "BitstringStatusList",
            "statusPurpose": PURPOSE,
            "encodedList": encode(revoked_positions),
            "ttl": MAX_AGE * 1000,
        },
    }
    return signing.sign(document, verification_method=f"{issuer_id()}#clave-1", created=valid_from)


def etag(document: dict[str, Any]) -> str:
    return '"' + hashlib.sha256(signing.canonical(document)).hexdigest()[:32] + '"'


def is_revoked(certificate: Certificate) -> bool | None:
    """What the published list says of this certificate (None if it has no bit)."""
    if certificate.status_index is None:
        return None
    number, position = divmod(certificate.status_index, SIZE)
    subject = status_list_credential(number)["credentialSubject"]
    return is_set(decode(subject["encodedList"]), position)
