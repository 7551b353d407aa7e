"""The notification pages in a real browser, wide and on a phone in dark mode: add an
endpoint, Send test, the delivery log after the worker's attempt (delivered, and a receiver
that is down); axe-core clean, no sideways scrolling, nothing fetched from another host."""

import pytest
from django.contrib.auth.models import Permission, User
from django_tasks_db.models import DBTaskResult
from playwright.sync_api import expect

from registries.events.models import NotificationEndpoint
from registries.events.tasks import deliver_notification
from registries.models import Registry
from tests.browser import PHONE, check_page, guard_third_party, log_in
from tests.events.notify_receiver import start_receiver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SECRET = "browser-notify-secret-0123456789"


@pytest.fixture
def receiver():
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


def run_queued() -> None:
    for task in DBTaskResult.objects.filter(status="READY").order_by("enqueued_at"):
        DBTaskResult.objects.filter(pk=task.pk).update(status="SUCCESSFUL")
        deliver_notification.call(**task.args_kwargs["kwargs"])


@pytest.mark.parametrize(
    ("viewport", "scheme"),
    [({"width": 1280, "height": 900}, "light"), (PHONE, "dark")],
    ids=["wide", "phone-dark"],
)
def test_add_an_endpoint_send_a_test_and_read_the_log(
    browser, live_server, receiver, closed_port_url, viewport, scheme
):
    row = Registry.objects.create(name="notes", url="https://notes.example")
    NotificationEndpoint.objects.create(
        registry=row, name="a-receiver-that-is-down-with-a-long-name", url=f"{closed_port_url}/x",
        secret=SECRET,
    )  # fmt: skip
    chris = User.objects.create_user("chris", password="chris-password-123")
    chris.user_permissions.add(Permission.objects.get(codename="change_registry"))
    label = "phone-dark" if viewport is PHONE else "wide"
    offenders: list[str] = []
    page = browser.new_context(viewport=viewport, color_scheme=scheme).new_page()
    guard_third_party(page, offenders)
    log_in(page, live_server.url, "chris", "chris-password-123")

    page.goto(f"{live_server.url}/manage/registries/notes/notifications/")
    check_page(page, f"notifications-list-{label}")
    page.get_by_role("link", name="Add an endpoint").click()
    page.get_by_label("Name").fill("team")
    page.get_by_label("URL").fill(f"{receiver.url}/in")
    page.get_by_label("Secret").fill(SECRET)
    check_page(page, f"notifications-form-{label}")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Notification endpoint team saved.")).to_be_visible()

    page.get_by_role("button", name="Send a test to team").click()
    expect(page.get_by_text("A test notification to team is queued")).to_be_visible()
    page.get_by_role(
        "button", name="Send a test to a-receiver-that-is-down-with-a-long-name"
    ).click()
    assert receiver.requests == []  # queued, not sent by the page
    run_queued()  # the worker's part
    page.reload()
    log = page.locator("section", has=page.get_by_role("heading", name="Delivery log"))
    expect(log.get_by_text("HTTP 200: ok")).to_be_visible()
    expect(log.get_by_text("Connection refused: nothing listens there.")).to_be_visible()
    assert len(receiver.requests) == 1
    check_page(page, f"notifications-log-{label}")

    page.get_by_role("link", name="team", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit team")
    assert SECRET not in page.content() and "/in" not in page.get_by_label("URL").input_value()
    check_page(page, f"notifications-edit-{label}")
    assert offenders == []
