"""Template context for the login page: whether, and with whom, people may sign in."""

from django.conf import settings


def sso(request) -> dict:
    if not getattr(settings, "REGFRONT_OIDC_ISSUER", ""):
        return {}
    return {
        "sso_provider_name": settings.REGFRONT_OIDC_PROVIDER_NAME,
        "sso_only": settings.REGFRONT_OIDC_ONLY,
    }
