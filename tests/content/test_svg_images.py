"""SVG lesson images: checked wherever they come in (admin upload, library import), shown
as the drawing itself in a plain ``<img>`` sized by its viewBox (no raster renditions),
loaded with the page's other renditions in the same single query, and exported byte for
byte. The shipped drawings follow the rules of a picture made for Aula."""

from __future__ import annotations

import json
import mimetypes
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from defusedxml import ElementTree
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.images import get_image_model
from wagtail.images.forms import get_image_form
from wagtail.models import Collection

from content.api import LIBRARY_ROOT, LibraryError
from content.blocks import ImageBlock
from content.svg import MAX_SVG_BYTES, check_svg
from courses import api as courses_api
from courses.models import CoursePage, LessonPage
from lms.enrollment import api as enrollment_api
from tests.browser import requires_chromium
from tests.content.test_responsive_images import _queries, image_block, make_image, paragraph
from tests.factories.pages import add_course, add_lesson
from tests.helpers import copy_shipped_course, edit_yaml

Image = get_image_model()
SVG_NS = "http://www.w3.org/2000/svg"

GOOD_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 400" role="img">'
    b"<title>Tres cuartos</title>"
    b'<defs><linearGradient id="g"><stop offset="0" stop-color="#0b6e4f"/></linearGradient>'
    b"</defs><style>.etiqueta{font-weight:700}</style>"
    b'<rect width="480" height="100" fill="url(#g)"/><use href="#g"/>'
    b'<text class="etiqueta" x="20" y="200" font-size="32">3/4</text></svg>'
)


def make_svg(title="Dibujo", data=GOOD_SVG):
    return Image.objects.create(title=title, file=ContentFile(data, name=f"{title}.svg"))


def _svg(body: str, root_attrs: str = "") -> bytes:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'viewBox="0 0 100 100"{root_attrs}>{body}</svg>'
    ).encode()


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "hahahahahaha">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><text>&c;</text></svg>'
)

BAD_SVGS = {
    "script": (_svg("<script>alert(1)</script>"), "svg_forbidden_element", "<script>"),
    "script in the XHTML namespace": (
        _svg('<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script>'),
        "svg_forbidden_element",
        "<script>",
    ),
    "onload": (_svg("", ' onload="alert(1)"'), "svg_event_attribute", "«onload»"),
    "onclick on a shape": (
        _svg('<rect width="5" height="5" onclick="alert(1)"/>'),
        "svg_event_attribute",
        "«onclick» en <rect>",
    ),
    "external href": (
        _svg('<image href="https://ejemplo.com/foto.png" width="5" height="5"/>'),
        "svg_external",
        "https://ejemplo.com/foto.png",
    ),
    "external xlink:href": (
        _svg('<use xlink:href="otro.svg#figura"/>'),
        "svg_external",
        "otro.svg#figura",
    ),
    "javascript: link, with a tab inside the scheme": (
        _svg('<a xlink:href="java&#x09;script:alert(1)"><text>x</text></a>'),
        "svg_javascript",
        "javascript:",
    ),
    "animation that sets a link": (
        _svg('<a href="#x"><set attributeName="href" to="#y"/></a>'),
        "svg_animation",
        "«href»",
    ),
    "foreignObject": (
        _svg('<foreignObject><p xmlns="http://www.w3.org/1999/xhtml">x</p></foreignObject>'),
        "svg_forbidden_element",
        "<foreignObject>",
    ),
    "@import": (_svg("<style>@import url(estilo.css);</style>"), "svg_external", "@import"),
    "CSS url() to a file": (
        _svg('<rect style="fill:url(https://ejemplo.com/a.svg#p)"/>'),
        "svg_external",
        "url(https://ejemplo.com/a.svg#p)",
    ),
    "xml-stylesheet": (
        b'<?xml-stylesheet href="https://ejemplo.com/e.css"?>' + _svg(""),
        "svg_external",
        "xml-stylesheet",
    ),
    "not XML": (b"GIF89a esto no es XML <svg", "svg_not_xml", "no es un SVG válido"),
    "broken XML": (b'<svg xmlns="http://www.w3.org/2000/svg">\n<g>\n</svg>', "svg_not_xml", "3"),
    "billion laughs": (BILLION_LAUGHS, "svg_entities", "<!ENTITY"),
    "not an svg root": (b'<html xmlns="http://www.w3.org/1999/xhtml"/>', "svg_not_svg", "<html>"),
    "no viewBox": (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
        "svg_view_box",
        "viewBox",
    ),
    "too large": (_svg("<g/>" * (MAX_SVG_BYTES // 4)), "svg_too_large", "200"),
}


# --- The check -------------------------------------------------------------------------


@pytest.mark.parametrize("case", BAD_SVGS, ids=list(BAD_SVGS))
def test_a_dangerous_or_broken_svg_is_refused_naming_what_was_found(case):
    data, code, named = BAD_SVGS[case]
    with pytest.raises(ValidationError) as info:
        check_svg(data)
    assert info.value.code == code
    assert named in info.value.messages[0]


def test_a_self_contained_drawing_is_accepted():
    check_svg(GOOD_SVG)
    # The doctype some editors write (no entities) is fine too.
    check_svg(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"'
        b' "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n' + GOOD_SVG
    )


# --- Admin upload ----------------------------------------------------------------------


def _form(data: bytes, name="dibujo.svg"):
    form_class = get_image_form(Image)
    return form_class(
        data={"title": "Dibujo", "collection": Collection.get_first_root_node().pk},
        files={"file": SimpleUploadedFile(name, data, content_type="image/svg+xml")},
    )


def test_the_admin_image_form_refuses_a_script_with_a_spanish_error(db):
    form = _form(BAD_SVGS["script"][0])
    assert not form.is_valid()
    assert form.errors["file"] == [
        "El SVG contiene un programa (<script>). Quítelo y vuelva a subirlo."
    ]


def test_the_admin_image_form_names_an_entity_bomb_before_willow_opens_it(db):
    form = _form(BILLION_LAUGHS)
    assert not form.is_valid()
    assert "<!ENTITY" in form.errors["file"][0]


def test_the_admin_image_form_accepts_a_good_svg_sized_by_its_view_box(db):
    form = _form(GOOD_SVG)
    assert form.is_valid(), form.errors
    image = form.save()
    assert image.is_svg() and (image.width, image.height) == (640, 400)


def test_uploading_from_the_lesson_editor_checks_the_svg(client, admin_user, course):
    client.force_login(admin_user)
    collection = courses_api.course_collection(course)
    fields = {
        "image-chooser-upload-title": "Barras",
        "image-chooser-upload-collection": collection.pk,
        "image-chooser-upload-description": "Barras de fracciones",
    }
    upload = SimpleUploadedFile("barras.svg", BAD_SVGS["external href"][0], "image/svg+xml")
    response = client.post(
        "/admin/images/chooser/create/", {**fields, "image-chooser-upload-file": upload}
    )
    payload = json.loads(response.content)
    assert payload["step"] != "chosen"
    assert "https://ejemplo.com/foto.png" in payload["htmlFragment"]
    assert not Image.objects.filter(title="Barras").exists()
    upload = SimpleUploadedFile("barras.svg", GOOD_SVG, "image/svg+xml")
    response = client.post(
        "/admin/images/chooser/create/", {**fields, "image-chooser-upload-file": upload}
    )
    assert json.loads(response.content)["step"] == "chosen"
    assert Image.objects.get(title="Barras").is_svg()


# --- In a lesson ------------------------------------------------------------------------


@pytest.fixture
def open_lesson(client, catalog, educando):
    """``open_lesson(body)``: a published lesson the logged-in educanda is enrolled in;
    returns its HTML (BeautifulSoup) and its URL."""
    course = add_course(catalog=catalog, slug="curso-con-dibujos")
    enrollment_api.enroll(user=educando, course=course)
    client.force_login(educando)
    count = iter(range(1, 100))

    def open_lesson(body):
        lesson = add_lesson(parent=course, slug=f"dibujos-{next(count)}", body=body)
        response = client.get(lesson.url)
        assert response.status_code == 200
        return BeautifulSoup(response.content, "html.parser"), lesson.url

    return open_lesson


def test_an_svg_is_the_drawing_itself_in_a_plain_img(client, open_lesson):
    drawing = make_svg()
    html, _ = open_lesson([image_block(drawing, caption="Tres cuartos de la barra")])
    figure = html.select_one("article figure.figure")
    assert figure.find("picture") is None and figure.find("source") is None
    img = figure.find("img")
    assert img["alt"] == "Una fracción: tres de cuatro partes coloreadas"
    assert not img.has_attr("srcset")
    # Its own size, from its viewBox: the page does not jump when it loads.
    assert (img["width"], img["height"]) == ("640", "400")
    assert img["loading"] == "eager"  # it opens the lesson
    assert figure.figcaption.text == "Tres cuartos de la barra"
    # One rendition, and it is an SVG, not a raster.
    renditions = drawing.renditions.all()
    assert [r.filter_spec for r in renditions] == [ImageBlock.SVG_RENDITION_SPEC]
    assert img["src"] == renditions[0].url and img["src"].endswith(".svg")
    response = client.get(img["src"])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    served = b"".join(response.streaming_content)
    root = ElementTree.fromstring(served)
    assert root.tag == f"{{{SVG_NS}}}svg"
    assert [float(n) for n in root.get("viewBox").split()] == [0, 0, 640, 400]
    assert b"3/4" in served


def test_an_svg_below_the_fold_is_lazy(open_lesson):
    html, _ = open_lesson([paragraph(), paragraph(), paragraph(), image_block(make_svg())])
    (img,) = html.select("article figure img")
    assert img["loading"] == "lazy" and img["decoding"] == "async"


def test_svgs_and_photos_on_one_page_still_take_one_query(client, open_lesson):
    _, one = open_lesson([paragraph(), image_block(make_image("Foto")), image_block(make_svg())])
    html, many = open_lesson(
        [
            paragraph(),
            *(image_block(make_image(f"Foto{n}")) for n in range(3)),
            *(image_block(make_svg(f"Dibujo{n}")) for n in range(3)),
        ]
    )
    assert len(html.select("article picture")) == 3
    assert len(html.select("article figure > img")) == 3
    assert _queries(client, one) == _queries(client, many)


# --- Library ---------------------------------------------------------------------------


def _add_picture(library: Path, name: str, data: bytes) -> Path:
    course = library / "curso-roto"
    (course / "media" / name).write_bytes(data)
    lesson = course / "lessons" / "que-es-una-fraccion.yaml"
    edit_yaml(
        lesson,
        lambda d: d["body"].insert(
            1,
            {
                "type": "image",
                "value": {
                    "image": f"media/{name}",
                    "alt": "Una barra partida en cuatro partes iguales; tres están coloreadas.",
                    "caption": "3/4 de la barra",
                },
            },
        ),
    )
    return course


def test_the_library_imports_an_svg_and_exports_it_byte_for_byte(db, tmp_path):
    library = copy_shipped_course(tmp_path, "curso-roto")
    _add_picture(library, "barra.svg", GOOD_SVG)
    courses_api.import_library(root=library)
    lesson = LessonPage.objects.get(slug="que-es-una-fraccion", url_path__contains="curso-roto")
    block = next(child for child in lesson.body if child.block_type == "image")
    assert block.value["image"].is_svg()
    assert (block.value["image"].width, block.value["image"].height) == (640, 400)
    out = tmp_path / "exported"
    courses_api.export_course(course=CoursePage.objects.get(slug="curso-roto"), root=out)
    assert (out / "curso-roto" / "media" / "barra.svg").read_bytes() == GOOD_SVG


def test_the_library_refuses_an_unsafe_svg_naming_the_file(db, tmp_path):
    library = copy_shipped_course(tmp_path, "curso-roto")
    _add_picture(library, "barra.svg", BAD_SVGS["onload"][0])
    with pytest.raises(LibraryError) as info:
        courses_api.import_library(root=library)
    assert info.value.file.endswith("que-es-una-fraccion.yaml")
    assert info.value.field.startswith("body[")
    assert "media/barra.svg" in info.value.message and "«onload»" in info.value.message


# --- The shipped drawings ----------------------------------------------------------------

SHIPPED_SVGS = sorted(LIBRARY_ROOT.glob("*/media/*.svg"))
PHONE_COLUMN = 324  # px of picture on a 360 px phone (18 px of margin each side)
MIN_TEXT_PX = 14
DEFAULT_FONT_PX = 16.0  # a browser's "medium", for text that sets no size
_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_SIMPLE_SELECTOR = re.compile(r"^([a-zA-Z]*)((?:\.[\w-]+)*)$")
_FONT_SIZE_DECLARATION = re.compile(r"font-size\s*:\s*([^;]+)")


def _style_rules(root) -> list[tuple[tuple[int, int], str, set[str], str]]:
    """``(specificity, tag, classes, font-size)`` of each simple rule in the drawing's
    ``<style>`` elements (``text``, ``.h``, ``text.h``); other selectors are left out."""
    rules = []
    for style in root.iter(f"{{{SVG_NS}}}style"):
        for selectors, declarations in _CSS_RULE.findall("".join(style.itertext())):
            size = _FONT_SIZE_DECLARATION.search(declarations)
            if not size:
                continue
            for selector in selectors.split(","):
                simple = _SIMPLE_SELECTOR.match(selector.strip())
                if simple:
                    tag, classes = simple.group(1), set(simple.group(2).split(".")) - {""}
                    rules.append(((len(classes), 1 if tag else 0), tag, classes, size.group(1)))
    return rules


def _px(value: str, parent_px: float) -> float:
    value = value.strip().removesuffix("!important").strip()
    for unit, factor in (("px", 1), ("pt", 4 / 3), ("em", parent_px), ("%", parent_px / 100)):
        if value.endswith(unit):
            return float(value.removesuffix(unit)) * factor
    return float(value)


def _font_px(element, parents, rules) -> float:
    """The font size (in viewBox units) SVG gives ``element``: its style attribute, else
    the most specific matching ``<style>`` rule (the later on a tie), else its font-size
    attribute, else its parent's."""
    parent = parents.get(element)
    parent_px = _font_px(parent, parents, rules) if parent is not None else DEFAULT_FONT_PX
    inline = _FONT_SIZE_DECLARATION.search(element.get("style", ""))
    if inline:
        return _px(inline.group(1), parent_px)
    tag = element.tag.rsplit("}", 1)[-1]
    classes = set(element.get("class", "").split())
    matching = [
        (specificity, order, size)
        for order, (specificity, rule_tag, rule_classes, size) in enumerate(rules)
        if rule_tag in ("", tag) and rule_classes <= classes
    ]
    if matching:
        return _px(max(matching)[2], parent_px)
    if element.get("font-size"):
        return _px(element.get("font-size"), parent_px)
    return parent_px


@pytest.mark.parametrize("path", SHIPPED_SVGS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_shipped_drawings_are_light_scalable_and_readable_on_a_phone(path):
    data = path.read_bytes()
    check_svg(data)
    assert len(data) <= 20 * 1024, "a drawing for Aula weighs a few KB"
    root = ElementTree.fromstring(data)
    # It scales to any screen: a viewBox and no fixed size.
    assert root.get("width") is None and root.get("height") is None
    view_width = float(root.get("viewBox").split()[2])
    # Every label is at least 14 px when the picture is as wide as a phone's column.
    parents = {child: parent for parent in root.iter() for child in parent}
    rules = _style_rules(root)
    texts = [e for e in root.iter() if e.tag in (f"{{{SVG_NS}}}text", f"{{{SVG_NS}}}tspan")]
    assert texts, "a picture for Aula has Spanish labels"
    for text in texts:
        shown = _font_px(text, parents, rules) * PHONE_COLUMN / view_width
        assert shown >= MIN_TEXT_PX, f"{path.name}: «{''.join(text.itertext())}» {shown:.1f}px"


def test_every_shipped_drawing_is_used_with_a_real_alt_text(db):
    """Each drawing is in a lesson, or is a course's cover, and its alt text says what it
    teaches (a cover's: what it shows)."""
    used: dict[str, str] = {}
    for lesson in LessonPage.objects.all():
        for child in lesson.body:
            if child.block_type == "image" and child.value["image"].is_svg():
                used[child.value["image"].title] = child.value["alt"]
    for course in CoursePage.objects.select_related("cover_image"):
        if course.cover_image and course.cover_image.is_svg():
            used[course.cover_image.title] = course.cover_image.description
    for path in SHIPPED_SVGS:
        title = f"{path.parent.parent.name}/media/{path.name}"
        assert title in used, f"{title} is in no lesson"
        alt = used[title]
        assert len(alt.split()) >= 8, alt
        assert not re.match(r"(?i)(imagen|foto|dibujo|ilustración) de\b", alt), alt


def _serve_media_with_its_type(route):
    """Media as a web server sends it, with its Content-Type: a browser draws an SVG only
    when it is labelled image/svg+xml (tests/browser.py fulfils media without a type,
    which rasters survive by sniffing and SVGs do not)."""
    path = route.request.url.removeprefix("http://testserver").removeprefix(settings.MEDIA_URL)
    file = Path(settings.MEDIA_ROOT, path)
    kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    route.fulfill(status=200, body=file.read_bytes(), headers={"content-type": kind})


@requires_chromium
def test_a_shipped_drawing_loads_and_fits_a_phone(db, phone, client, educando):
    """On a 360 px phone the lesson's drawing loads (allowed by the page's CSP) and fills
    the text column at the proportions of its viewBox, neither cut off nor enlarged."""
    lesson = LessonPage.objects.get(slug="fracciones-equivalentes")
    enrollment_api.enroll(user=educando, course=lesson.get_ancestors().type(CoursePage).get())
    client.force_login(educando)
    phone.route(f"http://testserver{settings.MEDIA_URL}**", _serve_media_with_its_type)
    phone.goto(f"http://testserver{lesson.url}")
    drawing = phone.locator("article figure img[src$='.svg']").first
    drawing.scroll_into_view_if_needed()
    phone.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=drawing.element_handle()
    )
    box = drawing.bounding_box()
    column = phone.evaluate("document.querySelector('article').getBoundingClientRect().width")
    assert 300 <= box["width"] <= column
    source = LIBRARY_ROOT / "fracciones-y-porcentajes/media/barras-de-fracciones.svg"
    _, _, width, height = ElementTree.fromstring(source.read_bytes()).get("viewBox").split()
    assert box["height"] == pytest.approx(box["width"] * float(height) / float(width), abs=1)
    assert phone.csp_violations() == []
