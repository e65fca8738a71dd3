"""Serving hooks: the lesson page from its shell (``lesson_shell.py``).

``on_serve_page`` hooks wrap the page's own ``serve``, the first in order outermost. This
one comes last (``order=100``), right around ``serve``: after every check, Wagtail's
privacy (itself an ``on_serve_page`` hook) and enrollment's ``protect_course_content`` (a
``before_serve_page`` hook, run before the chain).
"""

from wagtail import hooks

from lms.progress import lesson_shell


@hooks.register("on_serve_page", order=100)
def serve_lessons_from_their_shell(next_serve):
    def serve(page, request, args, kwargs):
        response = lesson_shell.serve(page, request)
        return response if response is not None else next_serve(page, request, args, kwargs)

    return serve
