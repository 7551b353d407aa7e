"""Listing big layers in the background, on Django's tasks framework (the project runs
django_tasks_db's `db_worker`). Enqueued by registries/contents/services.py, deduplicated by
the listing row; a task that runs twice finds the row claimed or done and does nothing."""

from django.conf import settings
from django.tasks import task

from registries.contents.services import layer_read


@task()
def list_layer(*, listing_id: int, repository: str) -> dict[str, bool]:
    read = layer_read(
        listing_id=listing_id,
        repository=repository,
        seconds=settings.REGFRONT_LAYER_READ_SECONDS,
        hand_off=False,
    )
    return {"read": read}
