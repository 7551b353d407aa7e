"""Public keys that cosign signatures are verified with, configured per registry."""

from django.core.exceptions import ValidationError
from django.db import models

from registries.models import Registry
from registries.supplychain.cosign import fingerprint, load_public_key


def validate_public_key(value: str) -> None:
    try:
        load_public_key(value)
    except ValueError as exc:
        raise ValidationError(str(exc), code="invalid_public_key") from exc


class SigningKey(models.Model):
    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="signing_keys")
    name = models.CharField(max_length=100, help_text="Whose key it is, as pages name it.")
    public_key = models.TextField(
        "public key",
        validators=[validate_public_key],
        help_text="ECDSA P-256, PEM (-----BEGIN PUBLIC KEY-----), e.g. cosign.pub.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "registries"
        ordering = ["registry", "name"]
        constraints = [
            models.UniqueConstraint(fields=["registry", "name"], name="supplychain_key_name_once"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the key (DER); empty when the stored text no longer parses."""
        try:
            return fingerprint(load_public_key(self.public_key))
        except ValueError:
            return ""
