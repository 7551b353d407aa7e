"""Promotion routes and copy jobs."""

from django.conf import settings
from django.db import models

from registries.models import Registry


class PromotionRoute(models.Model):
    """A way images move between registries (e.g. staging → prod): the source's tag pages
    offer a Promote button that copies the image, tag and signatures, to the target."""

    source = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="routes_out")
    target = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="routes_in")
    label = models.CharField(max_length=63, help_text='Shown on the button, e.g. "production".')

    class Meta:
        app_label = "registries"
        ordering = ["source", "label"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="promotion_route_once"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="promotion_route_elsewhere"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} → {self.target} ({self.label})"


class CopyJob(models.Model):
    """One image (a digest, with its platform images and optionally its signatures) copied
    by the worker; safe to run again (what the target has is skipped), so a failed or killed
    job resumes."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Copying"
        DONE = "done", "Done"
        FAILED = "failed", "Stopped by an error"

    source = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="copies_out")
    source_repository = models.CharField(max_length=255)
    source_tag = models.CharField(max_length=128, blank=True)
    digest = models.CharField(max_length=200, help_text="What was copied, fixed when asked.")
    target = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="copies_in")
    target_repository = models.CharField(max_length=255)
    target_tag = models.CharField(max_length=128, blank=True, help_text="Empty: by digest.")
    with_referrers = models.BooleanField(default=True)
    route = models.ForeignKey(
        PromotionRoute, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    message = models.TextField(blank=True)
    blobs_total = models.PositiveIntegerField(default=0)
    blobs_done = models.PositiveIntegerField(default=0)
    blobs_skipped = models.PositiveIntegerField(default=0, help_text="The target had them.")
    blobs_mounted = models.PositiveIntegerField(default=0)
    bytes_total = models.BigIntegerField(default=0)
    bytes_done = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "registries"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.source_repository}@{self.digest} → {self.target}/{self.target_repository}"
