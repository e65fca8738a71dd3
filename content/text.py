import re
import unicodedata

_SPACES = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Lower-case, strip accents (ñ stays ñ) and collapse white space.

    Used wherever Spanish text is compared or searched: "  Matemáticas " and
    "matematicas" normalize to the same string; "año" does not become "ano".
    """
    text = unicodedata.normalize("NFC", text or "").replace("ñ", "\0").replace("Ñ", "\1")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    stripped = stripped.replace("\0", "ñ").replace("\1", "ñ")
    return _SPACES.sub(" ", stripped).strip().casefold()
