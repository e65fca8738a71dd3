"""Lesson images are responsive renditions: WebP with a JPEG/PNG fallback, sized for a
360 px phone at DPR 2, lazy below the fold, always with their alt text, and loaded for the
whole page at once (the query count does not grow with the number of images)."""

from io import BytesIO

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.core.files.images import ImageFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image as PILImage
from wagtail.blocks import StructBlockValidationError
from wagtail.images import get_image_model

from content.blocks import ImageBlock
from lms.enrollment import api as enrollment_api
from tests.factories.pages import add_course, add_lesson


def make_image(title="Foto", size=(1600, 1000), fmt="JPEG", mode="RGB"):
    buffer = BytesIO()
    PILImage.new(mode, size, (200, 30, 30, 128)[: len(mode)]).save(buffer, fmt)
    extension = {"JPEG": "jpg", "PNG": "png"}[fmt]
    return get_image_model().objects.create(
        title=title, file=ImageFile(BytesIO(buffer.getvalue()), name=f"{title}.{extension}")
    )


def image_block(image, alt="Una fracción: tres de cuatro partes coloreadas", caption=""):
    return ("image", {"image": image, "alt": alt, "caption": caption})


def paragraph(text="Texto de la lección."):
    return ("paragraph", f"<p>{text}</p>")


@pytest.fixture
def open_lesson(client, catalog, educando):
    """``open_lesson(body)``: a published lesson with ``body`` that the logged-in
    educanda is enrolled in; returns its HTML (BeautifulSoup) and its URL."""
    course = add_course(catalog=catalog, slug="curso-con-imagenes")
    enrollment_api.enroll(user=educando, course=course)
    client.force_login(educando)
    count = iter(range(1, 100))

    def open_lesson(body):
        lesson = add_lesson(parent=course, slug=f"imagenes-{next(count)}", body=body)
        response = client.get(lesson.url)
        assert response.status_code == 200
        return BeautifulSoup(response.content, "html.parser"), lesson.url

    return open_lesson


def _widths(srcset: str) -> list[int]:
    return [int(part.split()[1].removesuffix("w")) for part in srcset.split(",")]


def test_picture_has_webp_source_and_jpeg_fallback_for_a_phone(open_lesson):
    html, _ = open_lesson([image_block(make_image(), caption="Tres cuartos")])
    picture = html.select_one("article figure.figure picture")
    source = picture.find("source")
    assert source["type"] == "image/webp"
    assert _widths(source["srcset"]) == [1080, 720, 360]
    assert all(".webp" in part for part in source["srcset"].split(","))
    assert source["sizes"] == "(min-width: 792px) 756px, calc(100vw - 36px)"
    img = picture.find("img")
    assert img["alt"] == "Una fracción: tres de cuatro partes coloreadas"
    assert _widths(img["srcset"]) == [1080, 720, 360]
    assert all(".jpg" in part for part in img["srcset"].split(","))
    # The largest rendition is the img's own size: no layout shift, never enlarged.
    assert (img["width"], img["height"]) == ("1080", "675")
    assert img["sizes"] == source["sizes"]
    assert html.select_one("figure figcaption").text == "Tres cuartos"


def test_png_keeps_a_png_fallback_and_small_images_are_not_enlarged(open_lesson):
    drawing = make_image("Dibujo", size=(500, 300), fmt="PNG", mode="RGBA")
    html, _ = open_lesson([image_block(drawing)])
    img = html.select_one("picture img")
    assert img["src"].endswith(".png")
    assert _widths(img["srcset"]) == [500, 500, 360]
    assert (img["width"], img["height"]) == ("500", "300")
    assert html.select_one("picture source")["type"] == "image/webp"


def test_first_image_opening_the_lesson_is_eager_the_rest_lazy(open_lesson):
    html, _ = open_lesson(
        [
            paragraph(),
            image_block(make_image("Primera")),
            paragraph(),
            image_block(make_image("Segunda")),
        ]
    )
    first, second = html.select("article picture img")
    assert first["loading"] == "eager" and not first.has_attr("decoding")
    assert second["loading"] == "lazy" and second["decoding"] == "async"


def test_first_image_far_down_the_lesson_is_lazy(open_lesson):
    html, _ = open_lesson([paragraph(), paragraph(), paragraph(), image_block(make_image())])
    (img,) = html.select("article picture img")
    assert img["loading"] == "lazy"


@pytest.mark.parametrize("alt", ["", "   ", "\n\t"])
def test_alt_text_is_required(db, alt):
    block = ImageBlock()
    with pytest.raises(StructBlockValidationError) as info:
        block.clean(block.to_python({"image": make_image().pk, "alt": alt, "caption": ""}))
    assert set(info.value.block_errors) == {"alt"}


def test_image_with_alt_text_is_accepted(db):
    block = ImageBlock()
    value = block.clean(
        block.to_python({"image": make_image().pk, "alt": " Un mapa ", "caption": ""})
    )
    assert value["alt"] == "Un mapa"


def _queries(client, url) -> int:
    # A cold cache (a new web process, say): renditions come from the database.
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_the_number_of_images(client, open_lesson):
    image_model = get_image_model()
    _, one = open_lesson([paragraph(), image_block(make_image("Sola"))])
    five_html, five = open_lesson(
        [paragraph(), *(image_block(make_image(f"Foto{n}")) for n in range(5))]
    )
    # The first view made the renditions (3 widths x WebP and JPEG, per image).
    renditions = image_model.get_rendition_model().objects
    assert renditions.count() == 6 * 6
    assert set(renditions.values_list("filter_spec", flat=True)) <= set(ImageBlock.RENDITION_SPECS)
    assert len(five_html.select("article picture")) == 5
    assert _queries(client, one) == _queries(client, five)
