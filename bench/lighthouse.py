"""Lighthouse 12 (mobile) and axe-core on the learner's pages, as people get them: gunicorn
with DEBUG off and the static files collected (WhiteNoise), an educanda signed in who is
enrolled in «Fracciones y porcentajes» with two lessons done.

    cd bench/out && npm install lighthouse@12.2.3 axe-core   # once (npm registry; it
                                                           # brings puppeteer-core)
    CHROME_PATH=/usr/bin/chromium .venv/bin/python bench/lighthouse.py [--runs 1]

Prints, for home, catalog, course, lesson, "Mis cursos" and the offline page: the four
Lighthouse scores (performance, accessibility, best practices, SEO; the median of
``--runs``) and the axe-core violations at 360 px (rule ids), then each course's size to
save for offline study (the figure the course page shows before saving).
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
from pathlib import Path

from common import OUT, ROOT, configure, prepare_site

configure(ALLOWED_HOSTS="127.0.0.1,localhost")
NODE_MODULES = Path(os.environ.get("NODE_MODULES", OUT / "node_modules"))
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


def _session() -> tuple[str, dict[str, str]]:
    """An enrolled educanda's session cookie, and the pages to measure."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    from courses import api as courses_api
    from courses.read_models import CoursePage
    from lms.enrollment import api as enrollment_api
    from lms.progress import api as progress_api

    course = CoursePage.objects.get(slug="fracciones-y-porcentajes")
    learner, created = get_user_model().objects.get_or_create(username="bench-lighthouse")
    enrollment_api.enroll(user=learner, course=course)
    steps = courses_api.course_steps(course_ids=[course.pk])[course.pk].steps
    lessons = [step for step in steps if step.kind == "lesson"]
    if created:
        for step in lessons[:2]:
            progress_api.record_server_event(user=learner, verb="completed", page_id=step.page_id)
    lesson_url = courses_api.page_urls(page_ids=[lessons[2].page_id])[lessons[2].page_id]
    client = Client()
    client.force_login(learner)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    # The browser holds the CSRF cookie beside the session's, as one that signed in does
    # (the pages' scripts post with it).
    csrf = _get_new_csrf_string()
    cookie = f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}"
    pages = {
        "home": "/",
        "catalog": "/cursos/",
        "course": course.url,
        "lesson": lesson_url,
        "mis cursos": "/mis-cursos/",
        "offline page": "/sin-conexion/",
    }
    return cookie, pages


def _lighthouse(base: str, paths: list[str], cookie: str) -> dict[str, dict]:
    """Lighthouse (bench/lighthouse.mjs) on each path, in one Chromium holding the
    learner's cookies. A run that fails to record its trace (NO_NAVSTART, on a loaded
    machine) is run again, up to three times."""
    cookies = [
        {"name": name, "value": value, "url": base}
        for name, value in (part.split("=", 1) for part in cookie.split("; "))
    ]
    # Node resolves the script's imports from its own folder: it runs beside node_modules.
    script = NODE_MODULES.parent / "lighthouse.mjs"
    shutil.copyfile(Path(__file__).with_suffix(".mjs"), script)
    results: dict[str, dict] = {}
    todo = list(paths)
    for _attempt in range(3):
        if not todo:
            break
        done = subprocess.run(  # noqa: S603 (our own arguments)
            [shutil.which("node") or "node", str(script), json.dumps(cookies),
             *(base + path for path in todo)],
            capture_output=True, text=True, cwd=NODE_MODULES.parent,
        )  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"lighthouse failed:\n{done.stderr[-2000:]}")
        for line in done.stdout.splitlines():
            if line.startswith("{"):
                result = json.loads(line)
                if not result["error"]:
                    results[result["url"].removeprefix(base)] = result
        todo = [path for path in todo if path not in results]
    return results


def _axe(base: str, pages: dict[str, str], cookie: str) -> dict[str, list[str]]:
    from playwright.sync_api import sync_playwright

    source = (NODE_MODULES / "axe-core/axe.min.js").read_text()
    found = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROME_PATH", "/usr/bin/chromium"),
            args=["--no-sandbox"],
        )
        context = browser.new_context(viewport={"width": 360, "height": 640})
        context.add_cookies(
            [
                {"name": name, "value": value, "url": base}
                for name, value in (part.split("=", 1) for part in cookie.split("; "))
            ]
        )
        page = context.new_page()
        for label, path in pages.items():
            page.goto(base + path)
            page.evaluate(source)  # run in the page, not as a <script>: the CSP stays on
            result = page.evaluate("axe.run().then(r => r.violations.map(v => v.id))")
            found[label] = result
        browser.close()
    return found


def _offline_sizes() -> dict[str, float]:
    from courses import api as courses_api
    from courses.read_models import CoursePage

    return {
        course.slug: sum(p.bytes for p in courses_api.offline_pages(course_id=course.pk)) / 2**20
        for course in CoursePage.objects.live().order_by("path")
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    if not (NODE_MODULES / "lighthouse").exists():
        raise SystemExit(f"cd {OUT} && npm install lighthouse@12.2.3 axe-core  (first)")
    prepare_site(static=True)
    cookie, pages = _session()
    sys.path.insert(0, str(Path(__file__).parent))
    from peer import _free_port, _wait

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(  # noqa: S603
        [str(ROOT / ".venv/bin/gunicorn"), "lms.wsgi:application", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT)],
        env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait(base + "/", server)
        violations = _axe(base, pages, cookie)
        runs = [_lighthouse(base, list(pages.values()), cookie) for _ in range(args.runs)]
        print(f"{'page':<14}{'perf':>6}{'a11y':>6}{'best':>6}{'seo':>6}  axe-core at 360 px")
        for label, path in pages.items():
            done = [run[path] for run in runs if path in run]
            if not done:
                print(f"{label:<14}  Lighthouse could not record this page")
                continue
            scores = {c: int(statistics.median(r["scores"][c] for r in done)) for c in CATEGORIES}
            lost = sorted({audit for r in done for audit in r["lost"]})
            axe = ", ".join(violations[label]) or "0 violations"
            print(
                f"{label:<14}{scores['performance']:>6}{scores['accessibility']:>6}"
                f"{scores['best-practices']:>6}{scores['seo']:>6}  {axe}"
                + (f"\n{'':<14}points lost: {', '.join(lost)}" if lost else "")
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    print("\nsize to save for offline study (the course page's figure):")
    for slug, megabytes in _offline_sizes().items():
        print(f"  {slug:<28}{megabytes:6.2f} MB")


if __name__ == "__main__":
    main()
