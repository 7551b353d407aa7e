"""Who a single sign-on login is: the provider's (issuer, sub), linked to one Django user."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models


class SSOIdentity(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identity"
    )
    # OpenID Connect Core 1.0 section 2: `sub` is unique and never reassigned within an
    # issuer, unlike e-mail addresses and user names.
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    # The groups this user holds because the provider said so at the last login; the next
    # login removes only these when the claim drops them, so groups given by hand stay.
    provider_groups = models.ManyToManyField(Group, blank=True, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    last_login = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "single sign-on identity"
        verbose_name_plural = "single sign-on identities"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="sso_identity_unique_sub")
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"
