"""Small presentation helpers: humanised values with the exact value at hand."""

from datetime import datetime
from functools import lru_cache

from django import template
from django.template.defaultfilters import filesizeformat
from django.urls import get_script_prefix, get_urlconf
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import get_language

from registries.browsing import repository_url
from registries.client._json import aware_utc
from registries.client.models import SIZE_MAX

register = template.Library()


def _unknown() -> str:
    # format_html needs arguments (Django 6 refuses a bare string); the dash is one.
    return format_html('<span class="muted">{}</span>', "—")


@register.filter
def short_digest(digest: str | None) -> str:
    """`sha256:0123456789ab…` → `0123456789ab` (what docker shows as IMAGE ID)."""
    if not digest:
        return ""
    return digest.partition(":")[2][:12] or digest[:12]


@register.simple_tag
def size(value: int | None) -> str:
    """A humanised size with the exact byte count on hover; a dash when unknown or absurd."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= SIZE_MAX:
        return _unknown()
    return _size_html(value, get_language())


@lru_cache(maxsize=4096)
def _size_html(value: int, language: str | None) -> str:
    # filesizeformat goes through the translation machinery: memoised, a tag page of 50
    # rows costs ~1 ms less (bench/, docs/benchmarks.md). Same output.
    return format_html('<span title="{} bytes">{}</span>', f"{value:,}", filesizeformat(value))


@register.simple_tag
def when(value: datetime | None) -> str:
    """Relative time ("3 days ago") with the exact UTC time on hover and in datetime=.

    Naive times are taken as UTC; times that do not fit in UTC (registries send any RFC 3339
    offset) are a dash, like absent ones.
    """
    value = aware_utc(value) if isinstance(value, datetime) else None
    if value is None:
        return _unknown()
    exact = value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return format_html(
        '<time datetime="{}" title="{}">{}</time>', value.isoformat(), exact, _relative(value)
    )


def _relative(value: datetime) -> str:
    now = timezone.now()
    try:
        if abs((now - value).total_seconds()) < 60:
            return "just now"
        if value > now:
            return f"in {timesince(now, value)}"
        return f"{timesince(value, now)} ago"
    except (OverflowError, ValueError):  # at the edges of datetime's range
        return value.strftime("%Y-%m-%d")


@register.filter
def is_web_link(value: str) -> bool:
    """Labels become links only when they are plain http(s) URLs (never javascript:)."""
    return isinstance(value, str) and value.startswith(("https://", "http://")) and " " not in value


_URLS_MAX = 8192
_urls: dict[tuple, str] = {}


@register.simple_tag
def repo_url(registry, repository: str, tag: str = "", digest: str = "") -> str:
    # reverse() is the costliest part of a 50-row tag table; the same links are asked for on
    # every view of a page, so they are remembered (per URL prefix and URLconf). Same output.
    key = (get_script_prefix(), get_urlconf(), registry.name, repository, tag, digest)
    url = _urls.get(key)
    if url is None:
        url = repository_url(registry, repository, tag=tag or "", digest=digest or "")
        if len(_urls) >= _URLS_MAX:
            _urls.clear()
        _urls[key] = url
    return url
