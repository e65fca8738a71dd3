"""Reading numbers as learners type them (content.numbers), and numeric grading with it."""

from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from content.api import parse_number
from lms.assessments.grading import grade_question

F = Fraction


class TestExamples:
    @pytest.mark.parametrize(
        ("text", "value"),
        [
            ("42", F(42)),
            ("0", F(0)),
            ("-5", F(-5)),
            ("−5", F(-5)),  # Unicode minus
            ("+5", F(5)),
            ("12,5", F(25, 2)),
            ("12.5", F(25, 2)),
            (",5", F(1, 2)),
            (".5", F(1, 2)),
            ("12.50", F(25, 2)),
            ("1,2345", F(12345, 10000)),
            # Thousands: US, Mexican/Spanish, spaces (plain, no-break, thin).
            ("1,234.5", F(2469, 2)),
            ("1.234,5", F(2469, 2)),
            ("1,234,567", F(1234567)),
            ("1.234.567,89", F(123456789, 100)),
            ("1 234", F(1234)),
            ("1\u00a0234", F(1234)),
            ("1\u202f234,5", F(2469, 2)),
            # The ambiguity rule: one mark and exactly three digits is thousands…
            ("1,234", F(1234)),
            ("1.234", F(1234)),
            # …unless it cannot be.
            ("0,375", F(3, 8)),
            ("0.375", F(3, 8)),
            (",375", F(3, 8)),
            ("1234,567", F(1234567, 1000)),
            ("1 234,567", F(1234567, 1000)),
            # Currency and percent.
            ("$250", F(250)),
            ("$ 250", F(250)),
            ("250 $", F(250)),
            ("US$ 250", F(250)),
            ("MX$250", F(250)),
            ("MXN 250", F(250)),
            ("250 MXN", F(250)),
            ("250 pesos", F(250)),
            ("250 dólares", F(250)),
            ("$1,250.50", F(2501, 2)),
            ("-$5", F(-5)),
            ("$-5", F(-5)),
            ("45 %", F(45)),
            ("45%", F(45)),
            # Fractions and mixed numbers.
            ("3/8", F(3, 8)),
            ("3 / 8", F(3, 8)),
            ("-3/8", F(-3, 8)),
            ("6/4", F(3, 2)),
            ("0/5", F(0)),
            ("3\u20448", F(3, 8)),  # fraction slash
            ("¾", F(3, 4)),
            ("1¾", F(7, 4)),
            ("1 ¾", F(7, 4)),
            ("1 y ¾", F(7, 4)),
            ("1 3/4", F(7, 4)),
            ("1 y 3/4", F(7, 4)),
            ("1 Y 3/4", F(7, 4)),
            ("-1 3/4", F(-7, 4)),
            ("3/8 de litro", F(3, 8)),
            # Units after the number.
            ("45 minutos", F(45)),
            ("3 kg", F(3)),
            ("2.5 litros", F(5, 2)),
            ("2,5 litros", F(5, 2)),
            ("12 horas", F(12)),
            ("5 cm²", F(5)),
            ("90 km/h", F(90)),
            ("45°", F(45)),
            # Spaces and a final period.
            ("  7  ", F(7)),
            ("7.", F(7)),
            ("45 minutos.", F(45)),
            ("12,5.", F(25, 2)),
        ],
    )
    def test_reads(self, text, value):
        assert parse_number(text) == value

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "   ",
            ".",
            "doce",
            "minutos",
            "$",
            "%",
            "3/0",
            "1/2/3",
            "3/",
            "/8",
            "3 o 4",
            "3 4",
            "3 kg o 4 kg",
            "1/2 y 3",
            "1 5/4",  # a mixed number's fraction is less than one
            "y ¾",
            "3 ½ ½",
            "1,23,456",
            "1.2.3",
            "1,2.3",
            "1.234.5,6,7",
            "12,5,",
            "5 -",
            "5 - 3",
            "--5",
            "-$-5",
            "1e5",
            "1E-3",
            "nan",
            "NaN",
            "inf",
            "-inf",
            "∞",
            "total: 5",
            "1" * 61,
            "5" + " " * 30 + "minutos" + "s" * 30,
        ],
    )
    def test_refuses(self, text):
        assert parse_number(text) is None

    def test_sixty_characters_is_the_limit(self):
        assert parse_number("5 " + "m" * 58) == 5
        assert parse_number("5 " + "m" * 59) is None

    def test_not_a_string(self):
        assert parse_number(None) is None  # type: ignore[arg-type]


# Property tests: format a value in each accepted style; it must read back exactly.

_SIGNS = st.sampled_from(["-", "−"])
_PREFIXES = st.sampled_from(["", "$", "$ ", "US$ ", "MXN "])
_SUFFIXES = st.sampled_from(
    ["", " minutos", " kg", "%", " %", " pesos", " dólares", " $", " cm²", "."]
)


def _group(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


@st.composite
def _integers(draw):
    n = draw(st.integers(0, 10**9))
    style = draw(st.sampled_from(["plain", ",", ".", " ", "\u00a0", "\u202f"]))
    text = str(n) if style == "plain" else _group(n, style)
    return F(n), text


@st.composite
def _decimals(draw):
    whole = draw(st.integers(0, 10**7))
    # Three decimals after a single mark is the ambiguity rule; see test below.
    places = draw(st.sampled_from([1, 2, 4, 5]))
    digits = draw(st.text("0123456789", min_size=places, max_size=places))
    value = whole + F(int(digits), 10**places)
    style = draw(st.sampled_from(["point", "comma", "us", "mx", "space-comma", "space-point"]))
    text = {
        "point": f"{whole}.{digits}",
        "comma": f"{whole},{digits}",
        "us": f"{_group(whole, ',')}.{digits}",
        "mx": f"{_group(whole, '.')},{digits}",
        "space-comma": f"{_group(whole, ' ')},{digits}",
        "space-point": f"{_group(whole, ' ')}.{digits}",
    }[style]
    return value, text


@st.composite
def _fractions(draw):
    den = draw(st.integers(1, 1000))
    num = draw(st.integers(0, 10000))
    space = draw(st.sampled_from(["", " "]))
    return F(num, den), f"{num}{space}/{space}{den}"


@st.composite
def _mixed(draw):
    den = draw(st.integers(2, 100))
    num = draw(st.integers(1, den - 1))
    whole = draw(st.integers(1, 1000))
    joint = draw(st.sampled_from([" ", "  ", " y ", "y"]))
    return whole + F(num, den), f"{whole}{joint}{num}/{den}"


_VALUES = st.one_of(_integers(), _decimals(), _fractions(), _mixed())


@st.composite
def _written(draw):
    value, text = draw(_VALUES)
    if draw(st.booleans()):
        value, text = -value, draw(_SIGNS) + text
    return value, draw(_PREFIXES) + text + draw(_SUFFIXES)


class TestProperties:
    @given(_written())
    def test_reads_back_what_was_written(self, written):
        value, text = written
        assert parse_number(text) == value

    @given(_written(), st.sampled_from(["", " ", "  ", "\t", "\u00a0"]), st.booleans())
    def test_spaces_and_case_do_not_matter(self, written, pad, upper):
        value, text = written
        variant = pad + (text.upper() if upper else text) + pad
        assert parse_number(variant) == parse_number(text) == value
        assert parse_number(text.replace(" ", "\u00a0")) == value

    @given(st.integers(1, 999), st.integers(0, 999))
    def test_one_mark_and_three_digits_is_thousands(self, whole, rest):
        for mark in ",.":
            assert parse_number(f"{whole}{mark}{rest:03}") == whole * 1000 + rest
            assert parse_number(f"0{mark}{rest:03}") == F(rest, 1000)

    @given(st.text(max_size=80))
    @example("1 y 3/4 y 5/6")
    @example("$$$")
    @example("٣")  # a non-ASCII digit
    @example("5 ٣")
    def test_junk_never_raises(self, text):
        result = parse_number(text)
        assert result is None or isinstance(result, Fraction)

    @given(
        st.text(
            alphabet=st.sampled_from(list("0123456789 .,/-−$%¾y")),
            max_size=30,
        )
    )
    def test_number_like_junk_never_raises(self, text):
        result = parse_number(text)
        assert result is None or isinstance(result, Fraction)

    @given(_written(), _written())
    def test_two_numbers_are_refused(self, first, second):
        _, a = first
        _, b = second
        assert parse_number(f"{a} o {b}") is None


class TestGrading:
    def _right(self, given, answer, tolerance=0.0):
        value = {"answer": answer, "tolerance": tolerance, "explanation": ""}
        return grade_question("numeric", value, [given])["correct"]

    @pytest.mark.parametrize(
        ("given", "answer"),
        [
            ("3/8", 0.375),
            ("0,375", 0.375),
            ("0.375", 0.375),
            ("1 3/4", 1.75),
            ("1 y 3/4", 1.75),
            ("1¾", 1.75),
            ("45 minutos", 45),
            ("45 %", 45),
            ("$1,250.50", 1250.5),
            ("1.250,50", 1250.5),
            ("1250.5", 1250.5),
            ("-2", -2.0),
            ("0.3", 0.1 + 0.2),  # float noise in the answer never fails a learner
            ("0,3", 0.3),
        ],
    )
    def test_right(self, given, answer):
        assert self._right(given, answer)

    @pytest.mark.parametrize(
        ("given", "answer"),
        [("3/7", 0.375), ("1 3/5", 1.75), ("46 minutos", 45), ("3 o 4", 3), ("", 1)],
    )
    def test_wrong(self, given, answer):
        assert not self._right(given, answer)

    def test_tolerance_boundary_counts(self):
        assert self._right("3.15", 3.14, 0.01)
        assert self._right("3.13", 3.14, 0.01)
        assert not self._right("3.1501", 3.14, 0.01)
        assert not self._right("3.16", 3.14, 0.01)
        assert self._right("1/3", 0.33, 0.01)
        assert self._right("0.1", 0.3, 0.2)
        assert not self._right("1/3", 0.333, 0)

    def test_missing_tolerance_means_exact(self):
        assert self._right("2", 2.0, None)
        assert not self._right("2.001", 2.0, None)
