"""What tags pointed at over time, and how often they were pulled."""

from django.db import models

from registries.models import Registry


class TagChange(models.Model):
    """A tag seen pointing at a digest (or removed: no digest), by the index's syncs, by a
    registry event, or by regfront's own restore and retag."""

    class Source(models.TextChoices):
        INDEX = "index", "seen by the index"
        EVENT = "event", "registry event"
        PORTAL = "portal", "regfront"

    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="tag_changes")
    repository = models.CharField(max_length=255)
    tag = models.CharField(max_length=128)
    digest = models.CharField(max_length=200, blank=True, help_text="Empty: the tag was removed.")
    at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=Source.choices)
    actor = models.CharField(max_length=255, blank=True, help_text="Who, when known.")

    class Meta:
        app_label = "registries"
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["registry", "repository", "tag", "at"], name="tag_change_lookup"),
        ]

    def __str__(self) -> str:
        return f"{self.repository}:{self.tag} -> {self.digest or '(removed)'}"


class PullCount(models.Model):
    """Manifest GETs of a tag reported by the registry's events (HEADs and regfront's own
    reads are not counted; an event delivered twice counts once)."""

    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="pull_counts")
    repository = models.CharField(max_length=255)
    tag = models.CharField(max_length=128, help_text="Empty: pulls by digest.")
    pulls = models.BigIntegerField(default=0)
    last_pulled = models.DateTimeField()

    class Meta:
        app_label = "registries"
        constraints = [
            models.UniqueConstraint(
                fields=["registry", "repository", "tag"], name="pull_count_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.repository}:{self.tag or '@digest'} {self.pulls}"
