"""Short human folios: easy to read aloud and type, with a check character.

Crockford's base32 alphabet (no I, L, O, U: nothing to confuse with 1 or 0): eight random
characters and a check character from the same alphabet, shown as ``7K3M-9QXT-G``.

The check character is Damm's algorithm over a totally anti-symmetric quasigroup of order
32. Every single wrong character (the check character included) and every swap of two
different neighbours (the last character and the check character included) is caught
before anything is looked up; tests/certificates/test_folio.py proves it exhaustively.

- The quasigroup: GF(32) built as GF(2)[x] modulo x⁵ + x³ + 1 (``_MODULUS``, a primitive
  polynomial), and ``T[s][c] = a·(s ⊕ c)`` with ``a = x`` (``_A``: a shift and at most one
  XOR). Each row and column of ``T`` is a permutation because a ≠ 0; the diagonal is 0;
  and ``T[T[s][x]][y] = T[T[s][y]][x]`` means ``a·x ⊕ y = a·y ⊕ x``, ``(a ⊕ 1)·(x ⊕ y) =
  0``, so ``x = y`` because a ≠ 1: weakly totally anti-symmetric, Damm's standard form.
- A folio is read from interim state 0, ``s ← T[s][c]`` for each of its nine characters,
  and is valid when it ends at 0; with a zero diagonal the check character is simply the
  interim state after the eight others.
- Written out, the final state is Σ aⁱ·cᵢ (weights a⁹ … a¹): a weighted sum whose weights
  are all different (a has order 31 in GF(32)*), so a swap of any two different characters,
  neighbours or not, and a twin error (``xx`` → ``yy``) are caught as well.
- x⁵ + x² + 1 would serve as well; it happens to make ``ABCD-EFGH-Z``, the tests' example
  of a mistyped folio, a valid one.

Folios printed before it end in a Luhn mod 32 check character, which misses a
swap of neighbours ``0`` and ``Z`` (values 0 and 31 add up the same whether doubled or
not). They stay verifiable: ``normalize_legacy`` reads them, and a string that passes only
that check is a folio only if it is in the register (``selectors.lookup``); anything else is
answered as a typo. ``new_folio`` never makes one.
"""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY_LENGTH = 8
# Nothing longer is read as a folio, whatever separators it carries.
MAX_TYPED_LENGTH = 64
# Separators people type or paste between groups, in any position: hyphen, en and em
# dashes, minus sign, dot, underscore, slash, space, no-break and narrow no-break spaces.
SEPARATORS = "-\N{EN DASH}\N{EM DASH}\N{MINUS SIGN}._/ \N{NO-BREAK SPACE}\N{NARROW NO-BREAK SPACE}"

_MODULUS = 0b101001  # x⁵ + x³ + 1
_A = 0b10  # x


def _times_a(value: int) -> int:
    value <<= 1
    return value ^ _MODULUS if value & 0b100000 else value


# T[s][c] = a·(s ⊕ c): the Damm table (see the module docstring).
TABLE = tuple(tuple(_times_a(s ^ c) for c in range(32)) for s in range(32))

# Every character that may appear in what someone types, and what it stands for (None: a
# separator). Only these: ``str.upper`` would turn "ß" into "SS" and "ı" into "I".
_READ: dict[int, str | None] = {ord(c): c for c in ALPHABET}
_READ |= {ord(c.lower()): c for c in ALPHABET if c.isalpha()}
_READ |= {ord(c): "0" for c in "Oo"} | {ord(c): "1" for c in "IiLl"}
_READ |= {ord(c): None for c in SEPARATORS}


def _interim(chars: str) -> int:
    state = 0
    for char in chars:
        state = TABLE[state][ALPHABET.index(char)]
    return state


def check_char(body: str) -> str:
    """Damm's check character: the interim state after the body."""
    return ALPHABET[_interim(body)]


def is_valid(chars: str) -> bool:
    """Body and check character, without separators, end at interim state 0."""
    return _interim(chars) == 0


def legacy_check_char(body: str) -> str:
    """Luhn mod N (N = 32): the check character of folios printed before Damm's."""
    factor, total, n = 2, 0, len(ALPHABET)
    for char in reversed(body):
        addend = factor * ALPHABET.index(char)
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return ALPHABET[(n - total % n) % n]


def new_folio() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return _shown(body + check_char(body))


def _shown(chars: str) -> str:
    return f"{chars[:4]}-{chars[4:BODY_LENGTH]}-{chars[BODY_LENGTH:]}"


def _read(text: str) -> str | None:
    """Body and check character of what someone typed (any case, separators anywhere, O
    read as 0 and I or L as 1), or None if it does not have the shape of a folio."""
    text = text or ""
    if len(text) > MAX_TYPED_LENGTH or any(ord(char) not in _READ for char in text):
        return None
    chars = text.translate(_READ)
    return chars if len(chars) == BODY_LENGTH + 1 else None


def normalize(text: str) -> str | None:
    """The canonical folio (``7K3M-9QXT-G``) for what someone typed, or None if it cannot be
    one issued today (a wrong character or a swap: a typo)."""
    chars = _read(text)
    return _shown(chars) if chars is not None and is_valid(chars) else None


def normalize_legacy(text: str) -> str | None:
    """The canonical form of what someone typed if it passes the legacy Luhn check, else
    None. Such a folio exists only if it was printed: look it up, never trust it."""
    chars = _read(text)
    if chars is None or legacy_check_char(chars[:BODY_LENGTH]) != chars[BODY_LENGTH]:
        return None
    return _shown(chars)
