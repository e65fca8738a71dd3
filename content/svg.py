"""SVG images checked before Aula keeps them (admin upload and library import).

An SVG is a document, not just pixels: opened on its own it can run script, load other
files or make the browser fetch an address. Lesson pages show SVGs in a plain ``<img>``
(where nothing runs) and local media is served with a sandboxing CSP, but an SVG is only
accepted when it is a self-contained drawing:

- parsed with defusedxml: entity declarations (the "billion laughs") and external
  entities are refused;
- no ``<script>``, ``<foreignObject>`` (HTML inside the drawing), ``<handler>``, nor any
  element of the XHTML namespace;
- no event attribute (``onload``, ``onclick``…), no ``javascript:`` anywhere, no
  animation that changes a link or an event attribute;
- every ``href``/``xlink:href`` points inside the drawing (``#…``) and every CSS
  ``url(…)`` too; no ``@import`` and no ``<?xml-stylesheet?>``;
- a ``viewBox`` (so it scales to any screen) and at most ``MAX_SVG_BYTES``.

Each refusal says in Spanish what was found and where, so the author can fix the file.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import ParseError, TreeBuilder

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden
from defusedxml.ElementTree import DefusedXMLParser
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

MAX_SVG_BYTES = 200 * 1024

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
XHTML_NAMESPACE = "http://www.w3.org/1999/xhtml"
FORBIDDEN_ELEMENTS = {"script", "foreignobject", "handler"}
ANIMATION_ELEMENTS = {"set", "animate", "animatemotion", "animatetransform"}
# Whitespace and control characters a browser ignores inside a URL scheme ("java\tscript:").
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20]+")
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
_VIEW_BOX = re.compile(
    r"^\s*([+-]?[\d.]+(?:e[+-]?\d+)?)[\s,]+([+-]?[\d.]+(?:e[+-]?\d+)?)"
    r"[\s,]+([+-]?[\d.]+(?:e[+-]?\d+)?)[\s,]+([+-]?[\d.]+(?:e[+-]?\d+)?)\s*$",
    re.IGNORECASE,
)


def is_svg_name(name: str) -> bool:
    return name.lower().endswith(".svg")


def _local(name: str) -> str:
    """``{namespace}tag`` or ``{namespace}attribute`` → ``tag`` / ``attribute``."""
    return name.rsplit("}", 1)[-1]


def _namespace(name: str) -> str:
    return name[1:].split("}", 1)[0] if name.startswith("{") else ""


def _shown(value: str, limit: int = 60) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


class _Collector:
    """A parser target that builds the tree and also records processing instructions
    (``<?xml-stylesheet …?>`` sits before the root, where a TreeBuilder drops it)."""

    def __init__(self):
        self.builder = TreeBuilder()
        self.instructions: list[str] = []

    def start(self, tag, attrs):
        return self.builder.start(tag, attrs)

    def end(self, tag):
        return self.builder.end(tag)

    def data(self, data):
        self.builder.data(data)

    def pi(self, target, text=None):
        self.instructions.append(target)

    def close(self):
        return self.builder.close()


def _parse(data: bytes):
    collector = _Collector()
    parser = DefusedXMLParser(
        target=collector, forbid_dtd=False, forbid_entities=True, forbid_external=True
    )
    try:
        parser.feed(data)
        root = parser.close()
    except EntitiesForbidden:
        raise _refuse(
            _(
                "El archivo SVG declara entidades XML (<!ENTITY …>). Aula no las acepta "
                "porque pueden bloquear el servidor. Guarde el dibujo sin ellas."
            ),
            "svg_entities",
        ) from None
    except (DTDForbidden, DefusedXmlException):
        raise _refuse(
            _("El archivo SVG hace referencia a archivos externos en su DOCTYPE."),
            "svg_external",
        ) from None
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else 1
        raise _refuse(
            _(
                "El archivo no es un SVG válido: su XML tiene un error en la línea "
                "%(line)s. Vuelva a exportarlo desde su programa de dibujo."
            )
            % {"line": line},
            "svg_not_xml",
        ) from None
    return root, collector.instructions


def _check_css(text: str, where: str) -> None:
    if "@import" in text.lower():
        raise _refuse(
            _("El SVG importa una hoja de estilos externa (@import) en %(where)s.")
            % {"where": where},
            "svg_external",
        )
    for _quote, target in _CSS_URL.findall(text):
        if not target.strip().startswith("#"):
            raise _refuse(
                _(
                    "El SVG carga un archivo externo con url(%(url)s) en %(where)s. "
                    "Solo se permiten referencias dentro del dibujo, que empiezan con #."
                )
                % {"url": _shown(target), "where": where},
                "svg_external",
            )


def _check_element(element) -> None:
    tag = _local(element.tag)
    where = f"<{tag}>"
    if tag.lower() in FORBIDDEN_ELEMENTS or _namespace(element.tag) == XHTML_NAMESPACE:
        if tag.lower() == "script":
            message = _("El SVG contiene un programa (<script>). Quítelo y vuelva a subirlo.")
        elif tag.lower() == "foreignobject":
            message = _(
                "El SVG contiene <foreignObject> (una página web dentro del dibujo). "
                "Quítelo y vuelva a subirlo."
            )
        else:
            message = _("El SVG contiene el elemento %(element)s, que no se permite.") % {
                "element": where
            }
        raise _refuse(message, "svg_forbidden_element")
    for name, value in element.attrib.items():
        attribute = _local(name)
        if attribute.lower().startswith("on"):
            raise _refuse(
                _(
                    "El SVG tiene el atributo de evento «%(attribute)s» en %(element)s, que "
                    "ejecuta un programa. Quítelo y vuelva a subirlo."
                )
                % {"attribute": attribute, "element": where},
                "svg_event_attribute",
            )
        if "javascript:" in _IGNORED_IN_SCHEME.sub("", value).lower():
            raise _refuse(
                _("El SVG tiene un enlace «javascript:» en %(element)s (atributo %(attribute)s).")
                % {"attribute": attribute, "element": where},
                "svg_javascript",
            )
        if attribute == "href" and not value.strip().startswith("#"):
            raise _refuse(
                _(
                    "El SVG enlaza un archivo o dirección externa («%(url)s») en %(element)s. "
                    "Solo se permiten referencias dentro del dibujo, que empiezan con #."
                )
                % {"url": _shown(value), "element": where},
                "svg_external",
            )
        if attribute == "style" or "url(" in value.lower():
            _check_css(value, where)
    if tag.lower() in ANIMATION_ELEMENTS:
        target = _local(element.get("attributeName", "")).lower()
        if target == "href" or target.startswith("on"):
            raise _refuse(
                _("El SVG tiene una animación (%(element)s) que cambia «%(attribute)s».")
                % {"element": where, "attribute": element.get("attributeName")},
                "svg_animation",
            )
    if tag == "style":
        _check_css("".join(element.itertext()), where)


def _check_view_box(root) -> None:
    found = _VIEW_BOX.match(root.get("viewBox", ""))
    if not found or float(found.group(3)) <= 0 or float(found.group(4)) <= 0:
        raise _refuse(
            _(
                'El SVG no tiene un viewBox válido (por ejemplo viewBox="0 0 640 400"). '
                "Sin él no se puede ajustar al tamaño de la pantalla."
            ),
            "svg_view_box",
        )


def check_svg_size(size: int) -> None:
    if size > MAX_SVG_BYTES:
        raise _refuse(
            _(
                "La imagen SVG pesa %(size)s; el máximo es %(max)s. Simplifique el dibujo o "
                "guárdelo optimizado."
            )
            % {"size": filesizeformat(size), "max": filesizeformat(MAX_SVG_BYTES)},
            "svg_too_large",
        )


def check_svg(data: bytes) -> None:
    """Raise a ``ValidationError`` (Spanish, naming what was found) unless ``data`` is a
    self-contained SVG drawing of at most ``MAX_SVG_BYTES``."""
    check_svg_size(len(data))
    root, instructions = _parse(data)
    if any(target.lower() == "xml-stylesheet" for target in instructions):
        raise _refuse(
            _("El SVG carga una hoja de estilos externa (<?xml-stylesheet?>)."),
            "svg_external",
        )
    if root.tag != f"{{{SVG_NAMESPACE}}}svg":
        raise _refuse(
            _(
                "El archivo no es una imagen SVG: su elemento principal es <%(tag)s>, no "
                '<svg> (con xmlns="http://www.w3.org/2000/svg").'
            )
            % {"tag": _local(root.tag)},
            "svg_not_svg",
        )
    for element in root.iter():
        _check_element(element)
    _check_view_box(root)
