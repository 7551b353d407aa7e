"""regfront's URLs plus /bench/floor (bench only)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from regfront.urls import urlpatterns as product_urlpatterns


def floor(request: HttpRequest) -> HttpResponse:
    """The cheapest Django page: no database, no cache, no template."""
    return HttpResponse("ok\n", content_type="text/plain")


urlpatterns = [path("bench/floor", floor), *product_urlpatterns]
