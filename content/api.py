"""The public Python API of ``content``: blocks, text helpers, the course library format.

Other apps import from here, never from the modules behind it. ``content`` knows nothing
of courses or learners.
"""

from content.blocks import (
    RICH_TEXT_FEATURES,
    LessonStreamBlock,
    QuestionStreamBlock,
)
from content.library.block_values import MediaResolver, block_from_file, block_to_file
from content.library.folders import (
    ContentsEntry,
    CourseFolder,
    list_course_folders,
    read_course_folder,
    walk_contents,
)
from content.library.format import (
    FORMAT_VERSION,
    LIBRARY_ROOT,
    LibraryError,
    dump_yaml,
    write_yaml,
)
from content.library.media import (
    document_for_file,
    export_media,
    image_for_file,
)
from content.numbers import parse_number
from content.text import normalize_text

__all__ = [
    "FORMAT_VERSION",
    "LIBRARY_ROOT",
    "RICH_TEXT_FEATURES",
    "ContentsEntry",
    "CourseFolder",
    "LessonStreamBlock",
    "LibraryError",
    "MediaResolver",
    "QuestionStreamBlock",
    "block_from_file",
    "block_to_file",
    "document_for_file",
    "dump_yaml",
    "export_media",
    "image_for_file",
    "list_course_folders",
    "normalize_text",
    "parse_number",
    "read_course_folder",
    "walk_contents",
    "write_yaml",
]
