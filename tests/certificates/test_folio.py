"""The folio's check character catches every single wrong character and every swap of
neighbours, proved exhaustively; folios printed with the legacy Luhn check still read.

The proof: a folio is read as a chain of interim states, ``s ← T[s][c]`` from 0, and is
valid when it ends at 0. An error changes the characters at one position (a substitution)
or two neighbouring ones (a swap), whatever came before: the state reached before it is one
of the 32, so checking every state, every pair of characters and every position where the
error can start shows that the state right after the error differs from the right one.
Every later step is a bijection of the state (each column of ``T`` is a permutation), so the
two chains never meet again: the mistyped folio ends away from 0 and is refused.
"""

import random
from itertools import product

import pytest

from lms.certificates import folio

N = len(folio.ALPHABET)
LENGTH = folio.BODY_LENGTH + 1  # the body and its check character
STATES = range(N)
SYMBOLS = range(N)
T = folio.TABLE


def _step(state: int, symbol: int) -> int:
    return T[state][symbol]


def _reachable_before(position: int) -> set[int]:
    """Every interim state the chain can be in before ``position`` (0: only the start)."""
    states = {0}
    for _ in range(position):
        states = {_step(s, c) for s in states for c in SYMBOLS}
    return states


def _chars(value: str) -> str:
    return value.replace("-", "")


class TestTheTable:
    def test_gf32_multiplication_by_a_has_order_31(self):
        """a = x generates GF(32)*: a⁰ … a³⁰ are the 31 non-zero elements, so the weights
        a¹ … a⁹ of the nine characters are all different."""
        powers, value = [], 1
        for _ in range(31):
            powers.append(value)
            value = folio._times_a(value)
        assert value == 1 and sorted(powers) == list(range(1, 32))

    def test_is_a_quasigroup_with_a_zero_diagonal(self):
        for s in STATES:
            assert sorted(T[s]) == list(SYMBOLS), f"row {s}"
            assert T[s][s] == 0
        for c in SYMBOLS:
            assert sorted(T[s][c] for s in STATES) == list(STATES), f"column {c}"

    def test_is_weakly_totally_anti_symmetric(self):
        for c, x, y in product(STATES, SYMBOLS, SYMBOLS):
            if x != y:
                assert T[T[c][x]][y] != T[T[c][y]][x], (c, x, y)


class TestTheGuarantee:
    def test_every_later_step_is_a_bijection_of_the_state(self):
        """What follows an error cannot undo it: two different states stay different."""
        for symbol in SYMBOLS:
            assert len({_step(s, symbol) for s in STATES}) == N, symbol

    def test_every_single_wrong_character_is_caught(self):
        """At every position, the check character's included, from every state."""
        cases = 0
        for position in range(LENGTH):
            reachable = _reachable_before(position)
            assert reachable == ({0} if position == 0 else set(STATES))
            for state, right, wrong in product(STATES, SYMBOLS, SYMBOLS):
                if right != wrong:
                    assert _step(state, right) != _step(state, wrong), (position, state)
                    cases += 1
        assert cases == LENGTH * N * N * (N - 1)

    def test_every_swap_of_neighbours_is_caught(self):
        """At every pair of neighbours, the last character and the check character's
        included, from every state."""
        cases = 0
        for position in range(LENGTH - 1):
            for state, x, y in product(STATES, SYMBOLS, SYMBOLS):
                if x != y:
                    right = _step(_step(state, x), y)
                    swapped = _step(_step(state, y), x)
                    assert right != swapped, (position, state, x, y)
                    cases += 1
        assert cases == (LENGTH - 1) * N * N * (N - 1)

    def test_the_final_state_is_a_weighted_sum(self):
        """Σ a^(10-i)·cᵢ in GF(32): with weights all different (a has order 31), a swap of
        any two different characters changes it, neighbours or not."""
        rng = random.Random(5)

        def times_a_to_the(power: int, value: int) -> int:
            for _ in range(power):
                value = folio._times_a(value)
            return value

        for _ in range(200):
            symbols = [rng.randrange(N) for _ in range(LENGTH)]
            total = 0
            for index, symbol in enumerate(symbols):
                total ^= times_a_to_the(LENGTH - index, symbol)
            assert folio._interim("".join(folio.ALPHABET[c] for c in symbols)) == total

    def test_twin_errors_are_caught_too(self):
        for state, x, y in product(STATES, SYMBOLS, SYMBOLS):
            if x != y:
                assert _step(_step(state, x), x) != _step(_step(state, y), y)

    def test_brute_force_over_random_folios(self):
        """A cross-check of the proof: every substitution and every swap (of neighbours, and
        of any two different characters) of many folios is refused."""
        rng = random.Random(20260101)
        for _ in range(300):
            body = "".join(rng.choice(folio.ALPHABET) for _ in range(folio.BODY_LENGTH))
            chars = body + folio.check_char(body)
            assert folio.is_valid(chars) and folio.normalize(chars)
            for index, wrong in product(range(LENGTH), folio.ALPHABET):
                if wrong != chars[index]:
                    typo = chars[:index] + wrong + chars[index + 1 :]
                    assert not folio.is_valid(typo) and folio.normalize(typo) is None, typo
            for i in range(LENGTH):
                for j in range(i + 1, LENGTH):
                    if chars[i] != chars[j]:
                        swapped = list(chars)
                        swapped[i], swapped[j] = swapped[j], swapped[i]
                        assert not folio.is_valid("".join(swapped)), (chars, i, j)

    def test_new_folios_use_only_the_new_check(self):
        for _ in range(200):
            value = folio.new_folio()
            assert folio.is_valid(_chars(value)) and folio.normalize(value) == value


class TestLegacy:
    def test_luhn_mod_32_misses_a_swap_of_0_and_z(self):
        """Why it was replaced: 0 and Z (values 0 and 31) add up the same doubled or not."""
        rng = random.Random(7)
        for position in range(folio.BODY_LENGTH - 1):
            rest = "".join(rng.choice(folio.ALPHABET) for _ in range(folio.BODY_LENGTH))
            body = rest[:position] + "0Z" + rest[position + 2 :]
            swapped = rest[:position] + "Z0" + rest[position + 2 :]
            assert body != swapped
            assert folio.legacy_check_char(body) == folio.legacy_check_char(swapped)
            # The new check tells them apart.
            assert folio.check_char(body) != folio.check_char(swapped)

    def test_a_legacy_folio_still_reads(self):
        body = "7K3M9QXT"
        printed = f"7K3M-9QXT-{folio.legacy_check_char(body)}"
        assert folio.check_char(body) != folio.legacy_check_char(body)
        assert folio.normalize(printed) is None  # not a folio issued today…
        assert folio.normalize_legacy(printed.lower().replace("-", "\N{EN DASH}")) == printed


class TestReading:
    VALUE = "7K3M-9QXT-" + folio.check_char("7K3M9QXT")

    @pytest.mark.parametrize("separator", list(folio.SEPARATORS))
    def test_each_separator_anywhere(self, separator):
        chars = _chars(self.VALUE)
        assert folio.normalize(separator.join(chars)) == self.VALUE
        assert folio.normalize(f"{separator}{chars[:4]}{separator * 2}{chars[4:]}") == self.VALUE

    def test_case_and_read_as(self):
        value = "00IL-LOIO-" + folio.check_char("00111010")
        canonical = "0011-1010-" + value[-1]
        assert folio.normalize(value) == canonical
        assert folio.normalize(value.lower()) == canonical

    @pytest.mark.parametrize(
        "junk",
        [
            "",
            "7K3M+9QXT+",
            "7K3M,9QXT,",
            "7K3M\\9QXT\\",
            "7K3M\t9QXT\t",
            "7K3M\u20119QXT\u2011",  # non-breaking hyphen: not in the list
            "7K3M-9QXU-",
            "7K3M-9QXß-",  # "ß".upper() would be "SS"
            "7K3M-9QXı-",  # "ı".upper() would be "I", read as 1
            "7K3M-9QX\N{KELVIN SIGN}-",
            "7K3M-9QX\N{FULLWIDTH LATIN CAPITAL LETTER T}-",
            "7K3M-9QX😀-",
            "7K3M-9QX\x00-",
            "-" * 4096,
            "7K3M-9QXT-" + " " * folio.MAX_TYPED_LENGTH,
        ],
    )
    def test_anything_else_is_not_a_folio(self, junk):
        for check in folio.ALPHABET:
            assert folio.normalize(junk + check) is None
            assert folio.normalize_legacy(junk + check) is None
