"""Layer listings: what each layer blob holds, stored once per registry and digest (a digest
never changes its content). Written only by registries/contents/services.py."""

from django.db import models

from registries.models import Registry

DIGEST_MAX = 200


class LayerListing(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Waiting for the worker"
        LISTING = "listing", "Being listed"
        READY = "ready", "Listed"
        FAILED = "failed", "Cannot be listed"

    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="layer_listings")
    digest = models.CharField(max_length=DIGEST_MAX)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    error = models.TextField(blank=True, help_text="Why it cannot be listed, for the page.")
    limit = models.CharField(max_length=64, blank=True, help_text="The setting that stopped it.")
    # A registry that failed (down, slow) says nothing about the layer: the next visit retries.
    transient = models.BooleanField(default=False)
    compression = models.CharField(max_length=10, blank=True)
    entry_count = models.PositiveIntegerField(default=0)
    compressed_size = models.BigIntegerField(null=True, blank=True)
    unpacked_size = models.BigIntegerField(null=True, blank=True)
    files_size = models.BigIntegerField(null=True, blank=True, help_text="Sum of file sizes.")
    refused = models.JSONField(default=list, blank=True, help_text="Member names never used.")
    refused_count = models.PositiveIntegerField(default=0)
    entries = models.BinaryField(null=True, blank=True, help_text="registries/contents/codec.py")
    queued_at = models.DateTimeField(null=True, blank=True, help_text="Handed to the worker.")
    started_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "registries"
        constraints = [
            models.UniqueConstraint(fields=["registry", "digest"], name="contents_listing_once"),
        ]

    def __str__(self) -> str:
        return f"{self.registry_id}:{self.digest} ({self.state})"
