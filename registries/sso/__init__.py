"""Single sign-on with OpenID Connect (mozilla-django-oidc, configured in regfront/settings.py).

discovery.py reads the provider's metadata, backend.py turns a verified login into a user,
accounts.py links identities and keeps groups in sync, views.py holds the thin web layer.
"""
