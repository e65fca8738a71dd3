"""How easy a lesson is to read, in Spanish: the figures the lesson editor shows.

Pure functions over text and StreamField data: no database, no request, nothing of courses
or learners. ``analyze_stream`` takes a StreamField value (or the same data as the course
library files hold it) and gives a ``Readability``:

- the **INFLESZ** figure, Szigriszt-Pazos' perspicuity
  ``206.835 − 62.3 · syllables/words − words/sentences`` read on the INFLESZ scale of
  Barrio-Cantalejo et al. (2008): muy difícil < 40 ≤ algo difícil < 55 ≤ normal < 65 ≤
  bastante fácil ≤ 80 < muy fácil. Texts for readers with primary schooling sit in
  "bastante fácil" on that scale, so the target for adults who finished primaria is
  ``TARGET`` = 65 or more;
- the **Fernández-Huerta** figure (1959), ``206.84 − 0.60 · P − 1.02 · F`` with P the
  syllables per 100 words and F the words per sentence. The formula is often printed with
  F as "sentences per 100 words", which makes shorter sentences score *harder*; that is a
  transcription error (Gwillim Law, "Error in the Fernández Huerta Readability Formula",
  LINGUIST List 22.2332, 2011): F is the mean sentence length, as in Flesch's formula
  it adapts;
- the longest sentences (by words) and the least common words (``wordfreq``'s Zipf
  frequency in Spanish), leaving out numbers and, by a heuristic, proper names and
  acronyms.

Counting: a word is a run of letters (and digits joined to them, "B3MFP"); numbers alone
("8", "3/8", "1.5") are not words. Syllables are counted by the rules of Spanish
(``count_syllables``). A heading, a list item, a paragraph or a short field (a glossary
term, an option) always ends a sentence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from wagtail import blocks

# --- Syllables ---------------------------------------------------------------------------

# Strong (open) vowels, and the closed ones written with an accent, which stand alone
# (hiatus: "dí-a", "pa-ís", "ba-úl"). Two of these side by side are two syllables.
_STRONG = frozenset("aeoáéóíú")
# Closed vowels without an accent: they join the vowel next to them in one syllable
# (diphthong "cie-lo", "puer-ta"; triphthong "buey", "U-ru-guay").
_WEAK = frozenset("iuü")
_VOWELS = _STRONG | _WEAK
# Other accents a loanword may carry, read as the Spanish vowel.
_FOREIGN_VOWELS = str.maketrans("àâäèêëìîòôöùû", "aaaeeeiiooouu")
_LETTER_RUN = re.compile(r"[^\W\d_]+")


def count_syllables(word: str) -> int:
    """The syllables of a Spanish word, by the rules of the RAE's *Ortografía* (2010).

    - Vowels side by side are one syllable unless two strong ones meet (``a e o``, or
      ``í ú`` with an accent): "ciu-dad", "cui-da-do", "a-e-ro-puer-to", "dí-a", "ba-úl".
    - The ``u`` of "que qui gue gui" is silent ("que-so", "gui-ta-rra"); ``ü`` is heard
      ("pin-güi-no").
    - ``y`` is a vowel when no vowel follows it ("hoy", "muy", "U-ru-guay", the word "y"),
      a consonant before one ("ma-yo").
    - ``h`` is silent and does not part the vowels around it ("ahu-ma-do", "prohi-bir",
      "a-hí", "bú-ho").

    Letters only: hyphenated words count each part ("te-ó-ri-co-prác-ti-co" = 7); a word
    without any vowel ("km") is one syllable; no letters, zero.
    """
    runs = _LETTER_RUN.findall(word)
    if not runs:
        return 0
    return sum(_syllables_of_run(run) for run in runs)


def _syllables_of_run(run: str) -> int:
    letters = unicodedata.normalize("NFC", run.casefold()).translate(_FOREIGN_VOWELS)
    letters = letters.replace("h", "")
    sounds: list[str] = []  # vowels as themselves, every consonant as "c"
    for index, letter in enumerate(letters):
        following = letters[index + 1] if index + 1 < len(letters) else ""
        previous = letters[index - 1] if index else ""
        if letter == "u" and previous in ("q", "g") and following in ("e", "i", "é", "í"):
            continue  # silent u
        if letter == "y":
            sounds.append("c" if following in _VOWELS else "i")
        elif letter in _VOWELS:
            sounds.append(letter)
        else:
            sounds.append("c")
    nuclei = 0
    previous = ""
    for sound in sounds:
        if sound in _VOWELS:
            if previous not in _VOWELS:
                nuclei += 1  # a new group of vowels
            elif (previous in _STRONG and sound in _STRONG) or (
                previous == sound and sound in _WEAK
            ):
                nuclei += 1  # hiatus inside the group ("le-er", "chi-i-ta")
        previous = sound
    return max(nuclei, 1)


# --- Words and sentences -----------------------------------------------------------------

# Letters and digits, with the hyphens, apostrophes, points and commas inside a token
# ("teórico-práctico", "1,250.50", "EE.UU").
_TOKEN = re.compile(r"[^\W_]+(?:[-'’.,][^\W_]+)*")


def words(text: str) -> list[str]:
    """The words of ``text``: tokens with at least one letter (numbers alone are not)."""
    return [t for t in _TOKEN.findall(text) if any(ch.isalpha() for ch in t)]


# Abbreviations after which a point does not end the sentence, even before a capital.
# ("etc." ends one when a capital follows, like any other point; "No." only before a
# number, since "no." ends many sentences.)
ABBREVIATIONS = frozenset(
    {
        "sr",
        "sra",
        "srta",
        "sres",
        "dr",
        "dra",
        "lic",
        "ing",
        "arq",
        "mtro",
        "mtra",
        "prof",
        "profa",
        "ud",
        "uds",
        "gral",
        "sto",
        "sta",
        "av",
        "col",
        "núm",
        "num",
        "pág",
        "págs",
        "art",
        "cap",
        "tel",
        "cel",
        "aprox",
        "ej",
        "p",
        "pp",
        "vs",
        "dto",
        "depto",
        "cía",
        "ee",
        "uu",
        "a.m",
        "p.m",
    }
)
_CLOSERS = "\"'»”’)]"
_OPENERS = "¿¡«\"“‘(['—-"
# A candidate end: one or more of . ? ! … then closing quotes or brackets, then spaces.
_END = re.compile(r"[.?!…]+[" + re.escape(_CLOSERS) + r"]*\s+")
_WORD_BEFORE = re.compile(r"([^\s" + re.escape(_OPENERS) + r"]+)$")


def split_sentences(text: str) -> list[str]:
    """The sentences of one paragraph of ``text``.

    A sentence ends at ``.``, ``?``, ``!``, ``…`` or ``...`` followed by a space and the
    start of a new sentence: a capital, ``¿``, ``¡``, a digit or an opening quote. So a
    question followed by a comma or a lower-case word goes on ("¿Cuánto paga?, preguntó"),
    a number's point is not an end ("1.5 kilos"), nor is the point of an abbreviation
    ("el Sr. Pérez", "p. ej.", ``ABBREVIATIONS``) or of an initial ("J. Pérez"). The end of
    the text ends the last sentence.
    """
    text = " ".join(text.split())
    sentences: list[str] = []
    start = 0
    for match in _END.finditer(text):
        following = text[match.end() : match.end() + 1]
        if not following or not (
            following.isupper() or following.isdigit() or following in _OPENERS
        ):
            continue
        if match.group().startswith(".") and not match.group().startswith(".."):
            before = _WORD_BEFORE.search(text, 0, match.start())
            word = before.group(1).casefold() if before else ""
            if word in ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue
            if word == "no" and following.isdigit():
                continue
        sentence = text[start : match.end()].strip()
        if sentence:
            sentences.append(sentence)
        start = match.end()
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


# --- Text of a StreamField ---------------------------------------------------------------

# Fields of a block that are not text the learner reads as part of the lesson: an image's
# description for screen readers, a question's curriculum key, the accepted answers of a
# short-answer question (the learner types them), a number's unit. A block also leaves out
# the fields it names in ``not_spanish_fields`` (the English of a «Frase en inglés» and how
# it sounds): they are not Spanish words.
SKIPPED_FIELDS = frozenset({"alt", "topic", "accepted_answers", "unit"})

# Elements that start or end a paragraph of their own in rich text.
_BLOCK_TAGS = frozenset(
    {"p", "li", "ul", "ol", "br", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}
)


class _RichTextParagraphs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._current: list[str] = []

    def _flush(self) -> None:
        text = " ".join("".join(self._current).split())
        if text:
            self.paragraphs.append(text)
        self._current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        self._current.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def html_paragraphs(html: str) -> list[str]:
    """The paragraphs (``<p>``, ``<li>``, headings, lines split by ``<br>``) of rich text,
    as plain text; inline markup (``<b>``, ``<a>``) is kept as its text."""
    parser = _RichTextParagraphs()
    parser.feed(html or "")
    parser.close()
    return parser.paragraphs


def _plain_paragraphs(text: str) -> list[str]:
    """A plain text field: paragraphs are separated by blank lines; a single line break
    inside a paragraph is a space."""
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text or "") if p.strip()]


def stream_paragraphs(stream_block: blocks.Block, data: Any) -> list[str]:
    """The text a learner reads in a StreamField, as paragraphs, in order.

    ``data`` is the StreamField's value (a ``StreamValue``: its raw data is read, so no
    image or document is fetched) or its raw form, a list of ``{"type", "value"}`` (as
    stored, or as a course library file holds it). Every text field of every block is
    read: rich text, headings, callouts, glossary terms, worked examples, transcripts,
    captions, question prompts, options, feedback and explanations; choosers, choices,
    numbers, the fields in ``SKIPPED_FIELDS`` and a block's ``not_spanish_fields`` are not.
    """
    raw = getattr(data, "raw_data", data)
    return list(_texts(stream_block, raw))


def _texts(block: blocks.Block, raw: Any) -> Iterator[str]:
    if raw is None:
        return
    if isinstance(block, blocks.RichTextBlock):
        yield from html_paragraphs(raw if isinstance(raw, str) else getattr(raw, "source", ""))
    elif isinstance(block, blocks.StreamBlock):
        for item in raw:
            if isinstance(item, dict) and item.get("type") in block.child_blocks:
                yield from _texts(block.child_blocks[item["type"]], item.get("value"))
    elif isinstance(block, blocks.ListBlock):
        for item in raw:
            if isinstance(item, dict) and item.get("type") == "item" and "value" in item:
                item = item["value"]
            yield from _texts(block.child_block, item)
    elif isinstance(block, blocks.StructBlock):
        if isinstance(raw, dict):
            not_spanish = getattr(block, "not_spanish_fields", ())
            for name, child in block.child_blocks.items():
                if name not in SKIPPED_FIELDS and name not in not_spanish:
                    yield from _texts(child, raw.get(name))
    elif isinstance(block, (blocks.CharBlock, blocks.TextBlock)) and isinstance(raw, str):
        yield from _plain_paragraphs(raw)


# --- The figures -------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    """A band of the INFLESZ scale: figures from ``low`` (inclusive) up to ``high``."""

    code: str
    label: str | Promise
    reader: str | Promise
    low: float
    high: float


BANDS = (
    Band(
        "muy-dificil",
        _("Muy difícil"),
        _("como un texto universitario o científico"),
        float("-inf"),
        40,
    ),
    Band(
        "algo-dificil",
        _("Algo difícil"),
        _("como un texto de bachillerato o de divulgación científica"),
        40,
        55,
    ),
    Band("normal", _("Normal"), _("como un texto de secundaria o un periódico"), 55, 65),
    Band("bastante-facil", _("Bastante fácil"), _("como un texto de primaria"), 65, 80),
    Band(
        "muy-facil",
        _("Muy fácil"),
        _("como un texto de los primeros años de primaria"),
        80,
        float("inf"),
    ),
)
# The target for adults who finished primaria: "bastante fácil" or easier.
TARGET = 65.0


def inflesz_band(figure: float) -> Band:
    """The INFLESZ band of a figure. 80 is still "bastante fácil" (the scale's "más de
    80" is "muy fácil"); every other boundary starts the easier band."""
    if figure == 80:
        return BANDS[3]
    return next(b for b in BANDS if b.low <= figure < b.high)


def inflesz(*, syllables: int, words: int, sentences: int) -> float:
    """Szigriszt-Pazos' perspicuity: 206.835 − 62.3 · syllables/words − words/sentences."""
    return 206.835 - 62.3 * syllables / words - words / sentences


def fernandez_huerta(*, syllables: int, words: int, sentences: int) -> float:
    """Fernández-Huerta's readability: 206.84 − 0.60 · P − 1.02 · F, P = syllables per 100
    words, F = words per sentence (see the module's note on the misprinted F)."""
    return 206.84 - 0.60 * (100 * syllables / words) - 1.02 * (words / sentences)


@dataclass(frozen=True)
class Sentence:
    text: str
    words: int


@dataclass(frozen=True)
class RareWord:
    word: str
    zipf: float  # wordfreq's Zipf frequency in Spanish: 7 "de", 3 once per million, 0 unknown
    count: int  # how many times the text uses it


@dataclass(frozen=True)
class Readability:
    words: int
    sentences: int
    syllables: int
    longest_sentences: list[Sentence] = field(default_factory=list)
    rare_words: list[RareWord] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return self.words == 0

    @property
    def inflesz(self) -> float | None:
        if self.is_empty:
            return None
        return inflesz(syllables=self.syllables, words=self.words, sentences=self.sentences)

    @property
    def fernandez_huerta(self) -> float | None:
        if self.is_empty:
            return None
        return fernandez_huerta(
            syllables=self.syllables, words=self.words, sentences=self.sentences
        )

    @property
    def band(self) -> Band | None:
        figure = self.inflesz
        return None if figure is None else inflesz_band(figure)

    @property
    def meets_target(self) -> bool | None:
        figure = self.inflesz
        return None if figure is None else figure >= TARGET

    @property
    def target(self) -> float:
        return TARGET

    @property
    def syllables_per_word(self) -> float | None:
        return None if self.is_empty else self.syllables / self.words

    @property
    def words_per_sentence(self) -> float | None:
        return None if self.is_empty else self.words / self.sentences


# Words at or above this Zipf frequency are common enough never to be listed as rare
# (4 is about once in 10,000 words: "presupuesto", "factura").
RARE_BELOW_ZIPF = 4.0


def analyze(
    paragraphs: Iterable[str], *, longest: int = 3, rare: int = 10, language: str = "es"
) -> Readability:
    """The figures of a text given as paragraphs (each ends a sentence)."""
    sentences: list[Sentence] = []
    syllables = 0
    total_words = 0
    # lower-case form → [uses, uses in lower case, uses with a capital inside a sentence,
    # uses as an acronym or with digits]
    seen: dict[str, list[int]] = {}
    for paragraph in paragraphs:
        for text in split_sentences(paragraph):
            tokens = words(text)
            if not tokens:
                continue  # "3/8." alone is no sentence
            sentences.append(Sentence(text=text, words=len(tokens)))
            total_words += len(tokens)
            for position, token in enumerate(tokens):
                syllables += count_syllables(token)
                stats = seen.setdefault(token.casefold(), [0, 0, 0, 0])
                stats[0] += 1
                if token == token.casefold():
                    stats[1] += 1
                elif position > 0:
                    stats[2] += 1
                if _is_acronym(token) or any(ch.isdigit() for ch in token):
                    stats[3] += 1
    by_length = sorted(enumerate(sentences), key=lambda pair: (-pair[1].words, pair[0]))
    return Readability(
        words=total_words,
        sentences=len(sentences),
        syllables=syllables,
        longest_sentences=[s for _i, s in by_length[:longest]],
        rare_words=_rare_words(seen, limit=rare, language=language),
    )


def analyze_stream(stream_block: blocks.Block, data: Any, **options: Any) -> Readability:
    """The figures of a StreamField (see ``stream_paragraphs``)."""
    return analyze(stream_paragraphs(stream_block, data), **options)


def _is_acronym(token: str) -> bool:
    letters = [ch for ch in token if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters)


_ENCLITICS = ("nos", "los", "las", "les", "me", "te", "se", "os", "lo", "la", "le")
_UNACCENTED = str.maketrans("áéíóú", "aeiou")


def _without_enclitics(word: str) -> str:
    """A verb form without the pronouns joined to its end, as its frequency is counted:
    "léala" → "lea", "compararlas" → "comparar", "dígaselo" → "diga". Word lists count
    each written form, and these are as common as the verb, however rare they look.
    Returns ``word`` when nothing plausible is left (a stem of 3 letters or more that ends
    like an infinitive, a gerund or an imperative)."""
    stem = word
    for _round in range(2):
        ending = next((e for e in _ENCLITICS if stem.endswith(e)), None)
        if ending is None:
            break
        stem = stem[: -len(ending)]
    stem = stem.translate(_UNACCENTED)
    if stem == word or len(stem) < 3 or not stem.endswith(("r", "ndo", "a", "e", "i", "o")):
        return word
    return stem


def _rare_words(seen: dict[str, list[int]], *, limit: int, language: str) -> list[RareWord]:
    """The least common words, leaving out likely proper names (a capital in the middle
    of a sentence and never in lower case: "Guadalajara", "Pérez"), acronyms ("CURP"),
    words with digits, and one-letter words."""
    from wordfreq import zipf_frequency

    candidates = []
    for word, (uses, in_lower_case, capitalized_inside, acronym_or_digits) in seen.items():
        if acronym_or_digits or len(word) < 2:
            continue
        if in_lower_case == 0 and capitalized_inside > 0:
            continue  # a proper name
        zipf = zipf_frequency(word, language)
        if zipf < RARE_BELOW_ZIPF and language == "es":
            stem = _without_enclitics(word)
            if stem != word:
                zipf = max(zipf, zipf_frequency(stem, language))
        if zipf < RARE_BELOW_ZIPF:
            candidates.append(RareWord(word=word, zipf=zipf, count=uses))
    candidates.sort(key=lambda r: (r.zipf, r.word))
    return candidates[:limit]
