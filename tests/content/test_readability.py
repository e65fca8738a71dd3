"""content.readability: Spanish syllables, sentences, the INFLESZ and Fernández-Huerta
figures, the rare words, and the text of a StreamField."""

import pytest

from content.blocks import LessonStreamBlock, QuestionStreamBlock
from content.readability import (
    TARGET,
    analyze,
    analyze_stream,
    count_syllables,
    fernandez_huerta,
    html_paragraphs,
    inflesz,
    inflesz_band,
    split_sentences,
    stream_paragraphs,
    words,
)

# Syllable counts by the RAE's rules (Ortografía de la lengua española, 2010).
KNOWN_SYLLABLES = {
    # plain words
    "casa": 2,
    "árbol": 2,
    "fracción": 2,
    "denominador": 5,
    "educación": 4,
    "aprendizaje": 5,
    "electrodoméstico": 7,
    "también": 2,
    "ejército": 4,
    "pequeño": 3,
    # diphthongs: a closed vowel without an accent joins its neighbour
    "ciudad": 2,
    "cuidado": 3,
    "ruido": 2,
    "huevo": 2,
    "bien": 1,
    "tierra": 2,
    "piano": 2,
    "cuatro": 2,
    "fuego": 2,
    "aula": 2,
    "Europa": 3,
    "murciélago": 4,
    "aeropuerto": 5,
    "guion": 1,
    "quién": 1,
    # triphthongs
    "estudiáis": 3,
    "averiguáis": 4,
    "buey": 1,
    "miau": 1,
    "guau": 1,
    # hiatus: two strong vowels, or a closed vowel with an accent
    "leer": 2,
    "creer": 2,
    "poeta": 3,
    "idea": 3,
    "caer": 2,
    "paseo": 3,
    "héroe": 3,
    "océano": 4,
    "país": 2,
    "día": 2,
    "baúl": 2,
    "maíz": 2,
    "oír": 2,
    "reír": 2,
    "continúa": 4,
    "actúa": 3,
    "reúne": 3,
    "transeúnte": 4,
    "Raúl": 2,
    "aún": 2,
    "chiita": 3,
    # qu / gu: the u is silent before e, i; ü is heard
    "queso": 2,
    "quiero": 2,
    "guerra": 2,
    "guitarra": 3,
    "pingüino": 3,
    "vergüenza": 3,
    "cigüeña": 3,
    "lingüística": 4,
    "averigüéis": 4,
    # y: a vowel at the end of a word (or alone), a consonant before a vowel
    "hoy": 1,
    "muy": 1,
    "rey": 1,
    "hay": 1,
    "y": 1,
    "Uruguay": 3,
    "Paraguay": 3,
    "mayo": 2,
    "ayuda": 3,
    "yo": 1,
    "Ayuntamiento": 5,
    # h between vowels: silent, and no barrier to a diphthong
    "búho": 2,
    "ahí": 2,
    "ahora": 3,
    "alcohol": 3,
    "zanahoria": 4,
    "hielo": 2,
    "ahorro": 3,
    "prohíbe": 3,
    "prohibir": 2,
    "ahumado": 3,
    "rehusar": 2,
    "desahucio": 3,
    # capitals, acronyms, compounds
    "CURP": 1,
    "INE": 2,
    "CAMIÓN": 2,
    "teórico-práctico": 7,  # te-ó-ri-co + prác-ti-co
}


@pytest.mark.parametrize(("word", "syllables"), KNOWN_SYLLABLES.items())
def test_syllables_of_known_words(word, syllables):
    assert count_syllables(word) == syllables


def test_syllables_of_what_is_not_a_word():
    assert count_syllables("") == 0
    assert count_syllables("1.5") == 0
    assert count_syllables("km") == 1  # letters without a vowel are still said


def test_words_leave_numbers_out():
    assert words("Pague $1,250.50 el 3/8 de 12 meses, ¿sí?") == ["Pague", "el", "de", "meses", "sí"]
    assert words("Un curso teórico-práctico del módulo B3MFP.") == [
        "Un",
        "curso",
        "teórico-práctico",
        "del",
        "módulo",
        "B3MFP",
    ]


class TestSentences:
    def test_points_questions_and_exclamations(self):
        assert split_sentences("Pague a tiempo. ¿Cuánto debe? ¡Cuidado! Ya terminó") == [
            "Pague a tiempo.",
            "¿Cuánto debe?",
            "¡Cuidado!",
            "Ya terminó",
        ]

    def test_a_question_followed_by_a_comma_or_lower_case_goes_on(self):
        assert split_sentences("¿Cuánto paga?, preguntó ella. Luego se fue.") == [
            "¿Cuánto paga?, preguntó ella.",
            "Luego se fue.",
        ]

    def test_ellipsis(self):
        assert split_sentences("Ahorre un poco... Después verá. Espere… Ya llega.") == [
            "Ahorre un poco...",
            "Después verá.",
            "Espere…",
            "Ya llega.",
        ]
        assert split_sentences("Y entonces… nada.") == ["Y entonces… nada."]

    def test_abbreviations_and_initials(self):
        text = (
            "El Sr. Pérez y la Dra. López llegaron. Compre arroz, frijol, etc. y guárdelos. "
            "Lea la pág. 5, p. ej. esta. Firmó J. Ramírez. Vea el No. 3 del acta. Creo que no. "
            "Después, etc. Otra más."
        )
        assert split_sentences(text) == [
            "El Sr. Pérez y la Dra. López llegaron.",
            "Compre arroz, frijol, etc. y guárdelos.",
            "Lea la pág. 5, p. ej. esta.",
            "Firmó J. Ramírez.",
            "Vea el No. 3 del acta.",
            "Creo que no.",
            "Después, etc.",
            "Otra más.",
        ]

    def test_numbers_with_points(self):
        assert split_sentences("Mide 1.5 metros y cuesta $1,250.50 pesos. Es caro.") == [
            "Mide 1.5 metros y cuesta $1,250.50 pesos.",
            "Es caro.",
        ]

    def test_quotes_after_the_end(self):
        assert split_sentences("Dijo: «Ya pagué.» Luego se fue.") == [
            "Dijo: «Ya pagué.»",
            "Luego se fue.",
        ]

    def test_empty(self):
        assert split_sentences("") == []
        assert split_sentences("   ") == []


class TestFormulas:
    # "La casa es roja. El perro come.": 7 words, 11 syllables (la 1, ca-sa 2, es 1,
    # ro-ja 2; el 1, pe-rro 2, co-me 2), 2 sentences.
    TEXT = "La casa es roja. El perro come."

    def test_counts(self):
        result = analyze([self.TEXT])
        assert (result.words, result.syllables, result.sentences) == (7, 11, 2)

    def test_inflesz_by_hand(self):
        # 206.835 − 62.3 · 11/7 − 7/2 = 206.835 − 97.9 − 3.5
        assert analyze([self.TEXT]).inflesz == pytest.approx(105.435)
        assert inflesz(syllables=200, words=100, sentences=5) == pytest.approx(62.235)

    def test_fernandez_huerta_by_hand(self):
        # 206.84 − 0.60 · (100 · 11/7) − 1.02 · (7/2) = 206.84 − 94.2857… − 3.57
        assert analyze([self.TEXT]).fernandez_huerta == pytest.approx(108.984286, abs=1e-5)
        # 100 words, 200 syllables, 5 sentences: 206.84 − 120 − 20.4
        assert fernandez_huerta(syllables=200, words=100, sentences=5) == pytest.approx(66.44)

    def test_shorter_sentences_read_easier_in_both(self):
        """The misprinted Fernández-Huerta (F = sentences per 100 words) scores the same
        words in more, shorter sentences as harder; the real formula, as INFLESZ, easier."""
        assert fernandez_huerta(syllables=200, words=100, sentences=10) > fernandez_huerta(
            syllables=200, words=100, sentences=5
        )
        assert inflesz(syllables=200, words=100, sentences=10) > inflesz(
            syllables=200, words=100, sentences=5
        )

    def test_a_harder_text_has_a_lower_figure(self):
        easy = analyze(["Ahorre cada semana. Guarde el dinero en el banco. Así crece."])
        hard = analyze(
            [
                "La planificación financiera contemporánea, considerando la volatilidad "
                "macroeconómica, requiere instrumentos de inversión diversificados y "
                "estrategias administrativas extraordinariamente sofisticadas."
            ]
        )
        assert hard.inflesz < easy.inflesz
        assert hard.fernandez_huerta < easy.fernandez_huerta
        assert easy.meets_target is True and hard.meets_target is False

    @pytest.mark.parametrize(
        ("figure", "band"),
        [
            (-10, "muy-dificil"),
            (39.9, "muy-dificil"),
            (40, "algo-dificil"),
            (54.9, "algo-dificil"),
            (55, "normal"),
            (64.9, "normal"),
            (65, "bastante-facil"),
            (80, "bastante-facil"),
            (80.1, "muy-facil"),
            (120, "muy-facil"),
        ],
    )
    def test_inflesz_bands(self, figure, band):
        assert inflesz_band(figure).code == band

    def test_the_target_is_bastante_facil(self):
        assert TARGET == 65
        assert inflesz_band(TARGET).code == "bastante-facil"


class TestLongestSentencesAndRareWords:
    def test_longest_sentences_by_words(self):
        result = analyze(
            [
                "Uno dos. Uno dos tres cuatro cinco. Uno dos tres.",
                "Uno dos tres cuatro cinco seis. Uno.",
            ],
            longest=2,
        )
        assert [(s.text, s.words) for s in result.longest_sentences] == [
            ("Uno dos tres cuatro cinco seis.", 6),
            ("Uno dos tres cuatro cinco.", 5),
        ]

    def test_rare_words_leave_out_common_words_names_acronyms_and_numbers(self):
        result = analyze(
            [
                "Su casa en Guadalajara tiene un electrodoméstico viejo. Pida su CURP en "
                "el consulado de Guadalajara. Pague 12 pesos. El denominador va abajo.",
                "Denominador",
            ]
        )
        rare = {r.word: r for r in result.rare_words}
        assert "electrodoméstico" in rare and "denominador" in rare
        assert rare["denominador"].count == 2  # at the start of a sentence, not a name
        for left_out in ("casa", "guadalajara", "curp", "12", "pesos", "el"):
            assert left_out not in rare
        zipfs = [r.zipf for r in result.rare_words]
        assert zipfs == sorted(zipfs)

    def test_verb_forms_with_pronouns_count_as_their_verb(self):
        """Word lists count written forms: "léala" is rare as written, but it is "lea"
        with a pronoun, as common as the verb."""
        result = analyze(["Léala con calma. Dígaselo a su asesor. Puede compararlas."])
        assert {r.word for r in result.rare_words}.isdisjoint({"léala", "dígaselo", "compararlas"})
        # A noun that only looks like one keeps its own frequency.
        assert "zarigüeyas" in {r.word for r in analyze(["Vi zarigüeyas."]).rare_words}

    def test_rare_words_are_limited(self):
        text = "Electrodoméstico, denominador, numerador, remesa, dieciseisavos y sextos."
        assert len(analyze([text], rare=3).rare_words) == 3


class TestEmptyText:
    @pytest.mark.parametrize("paragraphs", [[], [""], ["3/8. 1.5", "   "], ["¿?"]])
    def test_no_words_no_figure(self, paragraphs):
        result = analyze(paragraphs)
        assert result.is_empty
        assert (result.words, result.sentences, result.syllables) == (0, 0, 0)
        assert result.inflesz is None and result.fernandez_huerta is None
        assert result.band is None and result.meets_target is None
        assert result.longest_sentences == [] and result.rare_words == []


class TestStreamText:
    def test_rich_text_paragraphs_list_items_and_line_breaks(self):
        html = (
            "<p>Una <b>fracción</b> es una parte&nbsp;de un <a href='https://x.mx'>entero</a>"
            "</p><ul><li>Numerador</li><li>Denominador</li></ul><p>Línea uno<br>Línea dos</p>"
        )
        assert html_paragraphs(html) == [
            "Una fracción es una parte de un entero",
            "Numerador",
            "Denominador",
            "Línea uno",
            "Línea dos",
        ]

    def test_every_lesson_block_is_read(self):
        body = [
            {"type": "paragraph", "value": "<p>Texto del párrafo.</p>"},
            {"type": "heading", "value": {"text": "Título de sección", "level": "h2"}},
            {
                "type": "image",
                "value": {"image": 1, "alt": "descripción alternativa", "caption": "Pie foto"},
            },
            {
                "type": "video",
                "value": {
                    "title": "Título del video",
                    "video": None,
                    "embed_url": "https://video.example/1",
                    "captions": None,
                    "transcript": "<p>Transcripción del video.</p>",
                    "low_data_video": None,
                },
            },
            {
                "type": "audio",
                "value": {"title": "Título audio", "audio": 3, "transcript": "<p>Dice audio.</p>"},
            },
            {
                "type": "document",
                "value": {"document": 4, "title": "Hoja", "description": "Para imprimir"},
            },
            {
                "type": "callout",
                "value": {"kind": "tip", "title": "Un consejo", "body": "<p>Compare precios.</p>"},
            },
            {
                "type": "glossary_term",
                "value": {"term": "Denominador", "definition": "El número\nde abajo."},
            },
            {
                "type": "worked_example",
                "value": {
                    "title": "Repartir",
                    "problem": "<p>Son 8 partes.</p>",
                    "steps": [
                        {"type": "item", "value": "Cuente todo.", "id": "a"},
                        "Cuente lo comido.",
                    ],
                    "answer": "<p>Comió 3/8.</p>",
                },
            },
            {
                "type": "practice_at_home",
                "value": {
                    "title": "Practique en casa",
                    "problems": "<p>Calcule 1/4 de 80.</p>",
                    "answers": "<p>Son 20.</p>",
                },
            },
            {
                "type": "phrase",
                "value": {
                    "text": "Where is the restroom?",
                    "meaning": "¿Dónde está el baño?",
                    "sounds_like": "Juér is de réstrum",
                },
            },
        ]
        assert {block["type"] for block in body} == set(LessonStreamBlock().child_blocks)
        assert stream_paragraphs(LessonStreamBlock(), body) == [
            "Texto del párrafo.",
            "Título de sección",
            "Pie foto",
            "Título del video",
            "Transcripción del video.",
            "Título audio",
            "Dice audio.",
            "Hoja",
            "Para imprimir",
            "Un consejo",
            "Compare precios.",
            "Denominador",
            "El número de abajo.",
            "Repartir",
            "Son 8 partes.",
            "Cuente todo.",
            "Cuente lo comido.",
            "Comió 3/8.",
            "Practique en casa",
            "Calcule 1/4 de 80.",
            "Son 20.",
            "¿Dónde está el baño?",  # not the English, nor how it sounds
        ]

    def test_question_prompts_options_and_explanations_are_read(self):
        questions = [
            {
                "type": "single_choice",
                "value": {
                    "prompt": "¿Qué fracción falta?",
                    "topic": "B3MFP",
                    "options": [
                        {"text": "La mitad", "correct": True, "feedback": "Muy bien."},
                        {"text": "Un tercio", "correct": False, "feedback": ""},
                    ],
                },
            },
            {
                "type": "short_answer",
                "value": {
                    "prompt": "Escriba sus siglas.",
                    "accepted_answers": ["CURP"],
                    "explanation": "Es la CURP.",
                },
            },
            {"type": "numeric", "value": {"prompt": "¿Cuánto?", "answer": 3, "unit": "pesos"}},
        ]
        assert stream_paragraphs(QuestionStreamBlock(), questions) == [
            "¿Qué fracción falta?",
            "La mitad",
            "Muy bien.",
            "Un tercio",
            "Escriba sus siglas.",
            "Es la CURP.",
            "¿Cuánto?",
        ]

    def test_unknown_blocks_and_bad_data_are_skipped(self):
        body = [
            {"type": "retired_block", "value": "<p>Nada.</p>"},
            {"type": "paragraph", "value": None},
            {"type": "heading", "value": "no es un mapa"},
            "no es un bloque",
            {"type": "paragraph", "value": "<p>Sí.</p>"},
        ]
        assert stream_paragraphs(LessonStreamBlock(), body) == ["Sí."]

    def test_each_paragraph_ends_a_sentence(self):
        body = [
            {"type": "heading", "value": {"text": "Las partes", "level": "h2"}},
            {"type": "paragraph", "value": "<p>Una parte</p><p>Otra parte</p>"},
        ]
        result = analyze_stream(LessonStreamBlock(), body)
        assert result.sentences == 3 and result.words == 6
