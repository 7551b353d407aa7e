"""Login rate limiting: after too many failed logins for one (client IP, username) pair in a
window, refuse further attempts for that pair with 429 until the window ends — even with
the right password. Counters live in Django's cache: use Redis (CACHE_URL) so every process
and instance shares them.

    from regfront.ratelimit import ratelimit_login
    path("login/", ratelimit_login(LoginView.as_view()), name="login")
"""

import functools
import hashlib
import unicodedata
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from regfront.clientip import client_ip

type View = Callable[..., HttpResponse]


def _key(request: HttpRequest) -> str:
    ip = client_ip(request.META, behind_proxy=settings.REGFRONT_BEHIND_PROXY)
    username = _canonical_username(request.POST.get("username", ""))
    # Hashed: usernames never sit in the cache in clear, and any input makes a valid key.
    digest = hashlib.sha256(f"{ip}\x00{username}".encode()).hexdigest()[:40]
    return f"rf:login-failures:{digest}"


def _canonical_username(text: str) -> str:
    """One key for every spelling Django's login treats as the same user: its username field
    applies NFKC (fullwidth letters are plain ones), and case is folded on top (then NFKC
    again, as casefolding can undo it)."""
    folded = unicodedata.normalize("NFKC", text.strip()).casefold()
    return unicodedata.normalize("NFKC", folded)


def login_failures(request: HttpRequest) -> int:
    return cache.get(_key(request), 0)


def login_blocked(request: HttpRequest) -> bool:
    return login_failures(request) >= settings.REGFRONT_LOGIN_MAX_FAILURES


def record_login_failure(request: HttpRequest) -> None:
    key = _key(request)
    # The window starts at the first failure: add() sets the expiry, incr() keeps it.
    cache.add(key, 0, timeout=settings.REGFRONT_LOGIN_FAILURE_WINDOW)
    try:
        cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=settings.REGFRONT_LOGIN_FAILURE_WINDOW)


def reset_login_failures(request: HttpRequest) -> None:
    cache.delete(_key(request))


def too_many_attempts() -> HttpResponse:
    window = settings.REGFRONT_LOGIN_FAILURE_WINDOW
    response = HttpResponse(
        f"Too many failed login attempts. Try again in {max(1, window // 60)} minutes.\n",
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(window)
    return response


def ratelimit_login(view: View) -> View:
    """Wrap a login view (Django's LoginView, the admin's login): count failed POSTs.

    A POST fails unless it ends logged in and redirected; a success clears the counter of
    that (IP, username) pair only.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method != "POST":
            return view(request, *args, **kwargs)
        if login_blocked(request):
            return too_many_attempts()
        response = view(request, *args, **kwargs)
        user = getattr(request, "user", None)
        if response.status_code in (301, 302, 303) and user is not None and user.is_authenticated:
            reset_login_failures(request)
        else:
            record_login_failure(request)
        return response

    return wrapper
