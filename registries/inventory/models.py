"""The index of what registries hold. Rows are written only by the sync service
(registries/inventory/services.py); unique constraints keep two workers from duplicating one."""

from django.db import models

from registries.models import Registry

REPOSITORY_MAX = 255
TAG_MAX = 128
DIGEST_MAX = 200


class IndexedRepository(models.Model):
    registry = models.ForeignKey(
        Registry, on_delete=models.CASCADE, related_name="indexed_repositories"
    )
    name = models.CharField(max_length=REPOSITORY_MAX)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    last_synced = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "registries"
        ordering = ["registry", "name"]
        verbose_name_plural = "indexed repositories"
        constraints = [
            models.UniqueConstraint(fields=["registry", "name"], name="inventory_repository_once"),
        ]
        indexes = [models.Index(fields=["name"], name="inventory_repository_name")]

    def __str__(self) -> str:
        return f"{self.registry_id}:{self.name}"


class IndexedTag(models.Model):
    repository = models.ForeignKey(IndexedRepository, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=TAG_MAX)
    digest = models.CharField(max_length=DIGEST_MAX)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        app_label = "registries"
        ordering = ["repository", "name"]
        constraints = [
            models.UniqueConstraint(fields=["repository", "name"], name="inventory_tag_once"),
        ]
        # Tags by digest: "which tags point at this manifest", in a repository or anywhere.
        indexes = [models.Index(fields=["digest", "repository"], name="inventory_tag_digest")]

    def __str__(self) -> str:
        return f"{self.name} -> {self.digest}"


class IndexedManifest(models.Model):
    """A manifest by digest: content addressed, so fetched once and never again."""

    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        INDEX = "index", "Index"
        ATTESTATION = "attestation", "Attestation"
        SIGNATURE = "signature", "Signature"
        ARTIFACT = "artifact", "Artifact"
        SCHEMA1 = "schema1", "Schema 1"

    registry = models.ForeignKey(
        Registry, on_delete=models.CASCADE, related_name="indexed_manifests"
    )
    digest = models.CharField(max_length=DIGEST_MAX)
    media_type = models.CharField(max_length=255)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    size = models.BigIntegerField(null=True, blank=True, help_text="Compressed: what a pull gets.")
    created = models.DateTimeField(null=True, blank=True)
    platforms = models.JSONField(default=list, blank=True)
    config_digest = models.CharField(max_length=DIGEST_MAX, blank=True)
    layers = models.JSONField(default=list, blank=True, help_text="[{digest, size, media_type}]")
    # Set by the sync for an index: search finds the index's tags from a platform's digest.
    image_children = models.JSONField(
        default=list, blank=True, help_text="An index's platform images: [digest]"
    )
    subject_digest = models.CharField(max_length=DIGEST_MAX, blank=True)
    labels = models.JSONField(default=dict, blank=True)
    annotations = models.JSONField(default=dict, blank=True)
    artifact_type = models.CharField(max_length=255, blank=True)
    fetched_at = models.DateTimeField()

    class Meta:
        app_label = "registries"
        ordering = ["registry", "digest"]
        constraints = [
            models.UniqueConstraint(fields=["registry", "digest"], name="inventory_manifest_once"),
        ]
        indexes = [
            models.Index(fields=["registry", "subject_digest"], name="inventory_manifest_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.digest}"


class SyncState(models.Model):
    """Per registry: the last (or current) full sync."""

    class State(models.TextChoices):
        IDLE = "idle", "Idle"
        RUNNING = "running", "Running"
        FAILED = "failed", "Failed"

    registry = models.OneToOneField(Registry, on_delete=models.CASCADE, related_name="sync_state")
    state = models.CharField(max_length=10, choices=State.choices, default=State.IDLE)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    repositories_done = models.PositiveIntegerField(default=0)
    repositories_total = models.PositiveIntegerField(default=0)
    tags_done = models.PositiveIntegerField(default=0)
    tags_total = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    duration = models.DurationField(null=True, blank=True)

    class Meta:
        app_label = "registries"

    def __str__(self) -> str:
        return f"{self.registry_id}: {self.state}"


class SyncRequest(models.Model):
    """One pending sync per registry (repository "") or repository: the deduplication key.
    The task carries `key`; it runs only while its key is still the stored one."""

    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="sync_requests")
    repository = models.CharField(max_length=REPOSITORY_MAX, blank=True)
    key = models.CharField(max_length=64)
    due = models.DateTimeField(help_text="When the task may run.")
    task_id = models.CharField(max_length=64, blank=True, help_text="The backend's result id.")
    enqueued_at = models.DateTimeField()

    class Meta:
        app_label = "registries"
        constraints = [
            models.UniqueConstraint(fields=["registry", "repository"], name="inventory_sync_once"),
        ]

    def __str__(self) -> str:
        return f"{self.registry_id}:{self.repository or '*'} due {self.due:%H:%M:%S}"


class SyncLease(models.Model):
    """Who indexes a repository right now (repository "": a registry's full sync). Taken by
    inserting the row or by taking over an expired one, so two workers never index the same
    repository at once, on any database."""

    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="sync_leases")
    repository = models.CharField(max_length=REPOSITORY_MAX, blank=True)
    holder = models.CharField(max_length=64)
    expires = models.DateTimeField()

    class Meta:
        app_label = "registries"
        constraints = [
            models.UniqueConstraint(fields=["registry", "repository"], name="inventory_lease_once"),
        ]

    def __str__(self) -> str:
        return f"{self.registry_id}:{self.repository or '*'} held by {self.holder}"
