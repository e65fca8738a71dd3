"""How easy the shipped course library is to read: the INFLESZ figure of every lesson
(``content.readability``, the same figures as the lesson editor's panel) and each
course's average, against the target for adults who finished primaria.

    .venv/bin/python scripts/library_readability.py [--lessons] [library folder]

Reads the YAML files only: no database.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.base")
django.setup()

from content.api import (  # noqa: E402
    LIBRARY_ROOT,
    LessonStreamBlock,
    analyze_stream,
    list_course_folders,
    read_course_folder,
)
from content.readability import TARGET, inflesz_band  # noqa: E402


def main(argv: list[str]) -> int:
    show_lessons = "--lessons" in argv
    paths = [a for a in argv if not a.startswith("--")]
    root = Path(paths[0]) if paths else LIBRARY_ROOT
    block = LessonStreamBlock()
    print(f"{'curso':32} {'lecciones':>9} {'INFLESZ':>8} {'F-Huerta':>9}  banda, meta ≥ {TARGET:g}")
    for path in list_course_folders(root):
        folder = read_course_folder(path)
        figures = []
        for slug, lesson in folder.lessons.items():
            result = analyze_stream(block, lesson.get("body") or [])
            if result.is_empty:
                continue
            figures.append((slug, result.inflesz, result.fernandez_huerta))
        if not figures:
            print(f"{folder.slug:32} {0:>9}        —")
            continue
        mean = sum(f[1] for f in figures) / len(figures)
        mean_fh = sum(f[2] for f in figures) / len(figures)
        below = sum(1 for f in figures if f[1] < TARGET)
        print(
            f"{folder.slug:32} {len(figures):>9} {mean:>8.1f} {mean_fh:>9.1f}  "
            f"{inflesz_band(mean).label}, {len(figures) - below} de {len(figures)} en la meta"
        )
        if show_lessons:
            for slug, figure, fh in figures:
                mark = "" if figure >= TARGET else "  ← bajo la meta"
                print(f"  {slug:30} {'':>9} {figure:>8.1f} {fh:>9.1f}{mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
