"""The worker's side of copies: one task per job (idempotent: a job runs once at a time,
and a second delivery finds it taken or done)."""

from django.tasks import task

from registries.promotion.copy import copy_execute
from registries.promotion.models import CopyJob


@task
def copy_image(*, job_id: int) -> str:
    return copy_execute(job_id=job_id).state


def copy_enqueue(*, job: CopyJob) -> None:
    copy_image.enqueue(job_id=job.pk)
