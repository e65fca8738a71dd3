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
from content.library.diagnostics import (
    DIAGNOSTICS_FOLDER,
    MIN_QUESTIONS_PER_MODULE,
    DiagnosticFile,
    check_topics,
    diagnostics_folder,
    list_diagnostic_files,
    read_diagnostic_file,
)
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
from content.media import offline_bytes
from content.numbers import parse_number
from content.readability import Readability, analyze_stream
from content.text import normalize_text
from content.views import serve_media_version

__all__ = [
    "DIAGNOSTICS_FOLDER",
    "FORMAT_VERSION",
    "LIBRARY_ROOT",
    "MIN_QUESTIONS_PER_MODULE",
    "RICH_TEXT_FEATURES",
    "ContentsEntry",
    "CourseFolder",
    "DiagnosticFile",
    "LessonStreamBlock",
    "LibraryError",
    "MediaResolver",
    "QuestionStreamBlock",
    "Readability",
    "analyze_stream",
    "block_from_file",
    "block_to_file",
    "check_topics",
    "diagnostics_folder",
    "document_for_file",
    "dump_yaml",
    "export_media",
    "image_for_file",
    "list_course_folders",
    "list_diagnostic_files",
    "normalize_text",
    "offline_bytes",
    "parse_number",
    "read_course_folder",
    "read_diagnostic_file",
    "serve_media_version",
    "walk_contents",
    "write_yaml",
]
