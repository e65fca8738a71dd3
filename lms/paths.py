"""Addresses that middleware compares every request with, reversed once.

``reverse()`` walks the URL resolver each time it is called (a few hundredths of a
millisecond each, two or three times on every request before this). What it answers only
changes with the URL configuration and the script prefix the site is mounted under, so
the answer is kept per (URL configuration, script prefix) and forgotten when
``ROOT_URLCONF`` changes (tests).
"""

from __future__ import annotations

from functools import cache

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse


def admin_prefix() -> str:
    """The Wagtail admin's address ("/admin/"), with the script prefix, as ``reverse``
    gives it."""
    return _reversed("wagtailadmin_home", get_urlconf(), get_script_prefix())


@cache
def _reversed(name: str, urlconf: str | None, script_prefix: str) -> str:
    return reverse(name, urlconf=urlconf)


@receiver(setting_changed)
def _forget(*, setting: str, **kwargs: object) -> None:
    if setting == "ROOT_URLCONF":
        _reversed.cache_clear()
