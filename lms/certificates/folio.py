"""Short human folios: easy to read aloud and type, with a check character.

Crockford's base32 alphabet (no I, L, O, U: nothing to confuse with 1 or 0) and a Luhn
mod 32 check character from the same alphabet: every single wrong character and every swap
of two neighbours is caught before anything is looked up. Shown as ``7K3M-9QXT-H``.
"""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY_LENGTH = 8
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})


def check_char(body: str) -> str:
    """Luhn mod N (N = 32)."""
    factor, total, n = 2, 0, len(ALPHABET)
    for char in reversed(body):
        addend = factor * ALPHABET.index(char)
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return ALPHABET[(n - total % n) % n]


def new_folio() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return f"{body[:4]}-{body[4:]}-{check_char(body)}"


def normalize(text: str) -> str | None:
    """The canonical folio for what someone typed, or None if it cannot be one."""
    raw = (text or "").upper().translate(_READ_AS)
    if len(raw) != BODY_LENGTH + 1:
        return None
    body, check = raw[:BODY_LENGTH], raw[BODY_LENGTH]
    if any(c not in ALPHABET for c in body) or check_char(body) != check:
        return None
    return f"{body[:4]}-{body[4:]}-{check}"
