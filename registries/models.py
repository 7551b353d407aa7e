"""Registry definitions. No HTTP here: the client and services talk to registries."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models

from registries.fields import EncryptedTextField
from registries.pinned import validate_pinned_repositories
from registries.validators import NAME_MAX_LENGTH, normalise_registry_url, validate_registry_name


class RegistryQuerySet(models.QuerySet):
    def named(self, name: str) -> "RegistryQuerySet":
        return self.filter(name=name)

    def with_credentials(self) -> "RegistryQuerySet":
        return self.exclude(username="")

    def anonymous(self) -> "RegistryQuerySet":
        return self.filter(username="")

    def visible_to(self, user) -> "RegistryQuerySet":
        """Registries without groups are for everyone who may browse; others for members."""
        if user.is_superuser:
            return self
        open_to_all = models.Q(groups__isnull=True)
        if not user.is_authenticated:
            return self.filter(open_to_all)
        member = models.Q(groups__in=user.groups.all())
        return self.filter(pk__in=self.filter(open_to_all | member).values("pk"))


class Registry(models.Model):
    name = models.CharField(
        max_length=NAME_MAX_LENGTH,
        unique=True,
        validators=[validate_registry_name],
        error_messages={"unique": "A registry with this name already exists."},
        help_text="Used in URLs: lowercase letters a-z and digits 0-9 only.",
    )
    url = models.CharField(
        "URL",
        max_length=2048,
        help_text="Base URL of the registry, e.g. https://registry.example.com:5000",
    )
    username = models.CharField(max_length=255, blank=True)
    password = EncryptedTextField(blank=True, help_text="Encrypted at rest.")
    verify_tls = models.BooleanField(
        "verify TLS certificates",
        default=True,
        help_text="Turn off only for a registry with a self-signed certificate you trust.",
    )
    ca_bundle = models.TextField(
        "CA bundle",
        blank=True,
        help_text="Optional PEM certificates to trust for this registry (private CAs).",
    )
    groups = models.ManyToManyField(
        Group,
        blank=True,
        related_name="registries",
        help_text="Only members of these groups see this registry. Empty: everyone who may browse.",
    )
    pinned_repositories = models.TextField(
        blank=True,
        validators=[validate_pinned_repositories],
        help_text="One repository per line, e.g. team/app. Offered even when the registry "
        "does not list its repositories; shown first when it does. On Docker Hub, alpine "
        "means library/alpine.",
    )
    webhook_secret = EncryptedTextField(
        blank=True,
        help_text="The token the registry sends with its event notifications "
        "(Authorization: Bearer <token>). Empty: the event webhook is off for this registry. "
        "Encrypted at rest.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RegistryQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "registries"
        permissions = [
            ("delete_manifest", "Can delete manifests (and their tags) in registries"),
            ("change_manifest", "Can restore tags and add tags to images in registries"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(name__regex=r"^[a-z0-9]+$"),
                name="registry_name_a_z_0_9",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # Every write path (admin, forms, seeding, shell) stores the canonical URL.
        self.url = normalise_registry_url(self.url)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        try:
            self.url = normalise_registry_url(self.url)
        except ValidationError as exc:
            raise ValidationError({"url": exc.messages}) from exc
        if self.ca_bundle and "-----BEGIN CERTIFICATE-----" not in self.ca_bundle:
            raise ValidationError(
                {"ca_bundle": "Paste PEM certificates (-----BEGIN CERTIFICATE-----)."}
            )

    @property
    def host(self) -> str:
        """host[:port] as used in image references (`host:port/repo:tag`)."""
        return urlsplit(self.url).netloc

    @property
    def has_credentials(self) -> bool:
        return bool(self.username)


class AuditRecord(models.Model):
    """Who changed what, kept even when the user or the registry is gone. Append-only."""

    class Action(models.TextChoices):
        REGISTRY_ADD = "registry_add", "Registry added"
        REGISTRY_CHANGE = "registry_change", "Registry changed"
        REGISTRY_REMOVE = "registry_remove", "Registry removed"
        MANIFEST_DELETE = "manifest_delete", "Manifest deleted"
        TAG_RESTORE = "tag_restore", "Tag restored"
        TAG_ADD = "tag_add", "Tag added"
        IMAGE_COPY = "image_copy", "Image copied"

    class Outcome(models.TextChoices):
        OK = "ok", "Succeeded"
        FAILED = "failed", "Failed"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_name = models.CharField(max_length=150, help_text="Kept when the account is removed.")
    source = models.CharField(max_length=20, default="portal")  # portal, admin, command
    action = models.CharField(max_length=32, choices=Action.choices)
    registry_name = models.CharField(max_length=NAME_MAX_LENGTH)
    repository = models.CharField(max_length=255, blank=True)
    digest = models.CharField(max_length=200, blank=True)
    tags = models.JSONField(default=list, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OK)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.get_action_display()}"


class RegistryEvent(models.Model):
    """A push or delete reported by the registry itself through its event notifications."""

    class Action(models.TextChoices):
        PUSH = "push", "Pushed"
        DELETE = "delete", "Deleted"
        PULL = "pull", "Pulled"  # manifest GETs only, counted in PullCount

    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(max_length=100, help_text="The registry's id for the event.")
    action = models.CharField(max_length=10, choices=Action.choices)
    repository = models.CharField(max_length=255)
    tag = models.CharField(max_length=128, blank=True)
    digest = models.CharField(max_length=200, blank=True)
    media_type = models.CharField(max_length=255, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    actor = models.CharField(max_length=255, blank=True, help_text="The registry account.")
    source = models.CharField(max_length=255, blank=True, help_text="The registry instance.")
    client_addr = models.CharField(max_length=255, blank=True, help_text="Who sent the request.")
    occurred_at = models.DateTimeField(db_index=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            # Registries retry deliveries: the same event is stored once (idempotent webhook).
            models.UniqueConstraint(fields=["registry", "event_id"], name="registry_event_once"),
        ]
        indexes = [
            models.Index(fields=["registry", "repository", "-occurred_at"], name="event_repo_time"),
        ]

    def __str__(self) -> str:
        reference = f"{self.repository}:{self.tag}" if self.tag else self.repository
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action} {reference}"


class ApiToken(models.Model):
    """A personal token for the JSON API. Only a SHA-256 hash of it is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for.")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16, help_text="Its first characters, to tell it apart.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


# Layer listings (files inside images) live in their sub-package, under this app's label.
from registries.contents.models import LayerListing  # noqa: E402, F401

# Outgoing notifications (endpoints, delivery log) live in the events sub-package.
from registries.events.models import NotificationDelivery, NotificationEndpoint  # noqa: E402, F401

# Tag history and pull counts live in their sub-package, under this app's label.
from registries.history.models import PullCount, TagChange  # noqa: E402, F401

# The inventory's index models live in their sub-package, under this app's label.
from registries.inventory.models import (  # noqa: E402, F401
    IndexedManifest,
    IndexedRepository,
    IndexedTag,
    SyncLease,
    SyncRequest,
    SyncState,
)

# Promotion routes and copy jobs live in their sub-package, under this app's label.
from registries.promotion.models import CopyJob, PromotionRoute  # noqa: E402, F401

# Retention policies and their runs live in their sub-package, under this app's label.
from registries.retention.models import RetentionItem, RetentionPolicy, RetentionRun  # noqa: E402, F401

# Single sign-on identities live in their sub-package, under this app's label.
from registries.sso.models import SSOIdentity  # noqa: E402, F401

# Public keys for verifying signatures live in their sub-package, under this app's label.
from registries.supplychain.models import SigningKey  # noqa: E402, F401
