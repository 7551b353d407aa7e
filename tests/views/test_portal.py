"""Who may do what in the portal: every permission path, allowed and refused."""

import pytest

from registries.models import AuditRecord, Registry

pytestmark = pytest.mark.django_db
ADD = "/manage/registries/add/"


@pytest.fixture
def local(registry_open, registry_row):
    return registry_row(registry_open, name="local")


def form(**overrides) -> dict:
    data = {"name": "newreg", "url": "https://new.example", "username": "", "password": ""}
    data.update(overrides)
    return data


# --- adding -------------------------------------------------------------------------------


def test_anonymous_people_are_sent_to_log_in(client):
    response = client.get(ADD)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    client.post(ADD, form())
    assert not Registry.objects.exists()


@pytest.mark.parametrize("who", ["pat", "chris", "remy", "dora", "stella"])
def test_people_without_add_permission_are_refused(client, persona, who):
    persona(who)
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, form()).status_code == 403
    assert not Registry.objects.exists()
    assert not AuditRecord.objects.exists()


@pytest.mark.parametrize("who", ["adam", "sue"])
def test_people_with_add_permission_add_and_it_is_audited(client, persona, who):
    persona(who)
    assert client.get(ADD).status_code == 200
    response = client.post(ADD, form(password="pw-secret"))
    assert response.status_code == 302
    registry = Registry.objects.get(name="newreg")
    assert registry.password == "pw-secret"
    record = AuditRecord.objects.get()
    assert (record.actor_name, record.action, record.registry_name) == (
        who,
        "registry_add",
        "newreg",
    )


def test_bad_input_is_a_form_error(client, persona):
    persona("adam")
    for bad, message in [
        (form(name="Bad_Name!"), "only lowercase letters"),
        (form(url="ftp://x.example"), "http:// or https://"),
        (form(url="https://u:p@x.example"), "not in the URL"),
    ]:
        response = client.post(ADD, bad)
        assert response.status_code == 400
        assert message in response.content.decode()
    assert not Registry.objects.exists()


def test_test_connection_reports_and_saves_nothing(
    client, persona, registry_basic, closed_port_url
):
    persona("adam")
    ok = client.post(
        ADD,
        form(url=registry_basic.url, username="alice", password=registry_basic.password, test="1"),
    )
    assert "Online" in ok.content.decode()
    assert "auth: basic" in ok.content.decode()
    wrong = client.post(
        ADD, form(url=registry_basic.url, username="alice", password="nope", test="1")
    )
    assert "Credentials rejected" in wrong.content.decode()
    down = client.post(ADD, form(url=closed_port_url, test="1"))
    assert "Unreachable" in down.content.decode()
    assert not Registry.objects.exists()
    # The password typed in is never echoed back.
    assert registry_basic.password not in ok.content.decode()


# --- editing and removing -------------------------------------------------------------------


def test_editing_needs_change_permission(client, persona, local):
    url = f"/manage/registries/{local.name}/edit/"
    persona("pat")
    assert client.post(url, form(name="local", url="https://evil.example")).status_code == 403
    local.refresh_from_db()
    assert local.url != "https://evil.example"


def test_editing_over_someone_elses_change_is_refused(client, persona, local):
    persona("chris")
    url = f"/manage/registries/{local.name}/edit/"
    page = client.get(url).content.decode()
    version = page.split('name="version" value="')[1].split('"')[0]
    concurrent = Registry.objects.get(pk=local.pk)  # someone else saves meanwhile
    concurrent.username = "someone-else"
    concurrent.save()
    response = client.post(url, form(name="local", url=local.url, version=version))
    assert response.status_code == 409
    assert "Someone else changed this registry" in response.content.decode()
    local.refresh_from_db()
    assert local.username == "someone-else"


def test_removing_needs_delete_registry_permission(client, persona, local):
    url = f"/manage/registries/{local.name}/remove/"
    persona("dora")
    assert client.post(url).status_code == 403
    assert Registry.objects.filter(name="local").exists()


def test_removing_with_permission_removes_and_audits(client, persona, local):
    persona("remy")
    assert client.post(f"/manage/registries/{local.name}/remove/").status_code == 302
    assert not Registry.objects.filter(name="local").exists()
    assert AuditRecord.objects.get().action == "registry_remove"


def test_disable_add_remove_refuses_the_pages_to_everyone(client, persona, local, settings):
    settings.REGISTRY_DISABLE_ADD_REMOVE = True
    persona("sue")
    for url in (
        ADD,
        f"/manage/registries/{local.name}/edit/",
        f"/manage/registries/{local.name}/remove/",
    ):
        assert client.get(url).status_code == 404
        assert client.post(url, form()).status_code == 404
    assert "Add a registry" not in client.get("/").content.decode()
    assert Registry.objects.count() == 1


# --- seeing ---------------------------------------------------------------------------------


@pytest.fixture
def restricted(local):
    from django.contrib.auth.models import Group

    team = Group.objects.create(name="team-a")
    local.groups.add(team)
    return team


@pytest.mark.parametrize("who", [None, "pat", "stella"])
def test_a_restricted_registry_is_absent_for_outsiders(
    client, persona, restricted, registry_open, who
):
    if who:
        persona(who)
    assert "/registry/local/" not in client.get("/").content.decode()
    assert client.get("/registry/local/").status_code == 404
    assert client.get("/registry/local/app:latest").status_code == 404
    jump = client.get("/go", {"ref": f"{registry_open.host}/app:latest"})
    assert jump.status_code == 404


@pytest.mark.parametrize("who", ["member", "sue"])
def test_a_restricted_registry_is_there_for_members(client, persona, restricted, who):
    if who == "member":
        user = persona("pat")
        user.groups.add(restricted)
    else:
        persona("sue")
    assert "/registry/local/" in client.get("/").content.decode()
    assert client.get("/registry/local/app:latest").status_code == 200


def test_require_login_closes_everything_but_login_and_health(client, settings, local):
    settings.REGFRONT_REQUIRE_LOGIN = True
    for url in ("/", "/registry/local/", "/registry/local/app:latest", "/go?ref=app"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert client.get("/accounts/login/").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_login_and_logout(client, local):
    from django.contrib.auth.models import User

    User.objects.create_user("pat", password="pat-password-123")
    response = client.post("/accounts/login/", {"username": "pat", "password": "pat-password-123"})
    assert response.status_code == 302
    assert "pat" in client.get("/").content.decode()
    client.post("/accounts/logout/")
    assert "Log in" in client.get("/").content.decode()


# --- activity -------------------------------------------------------------------------------


def test_activity_is_for_staff(client, persona):
    assert client.get("/activity/").status_code == 302
    persona("pat")
    assert client.get("/activity/").status_code == 403


def test_staff_read_activity(client, persona):
    AuditRecord.objects.create(actor_name="adam", action="registry_add", registry_name="x<b>")
    persona("stella")
    page = client.get("/activity/").content.decode()
    assert "Registry added" in page
    assert "x&lt;b&gt;" in page


def test_audit_records_are_read_only_in_the_admin(client, persona):
    record = AuditRecord.objects.create(actor_name="adam", action="registry_add", registry_name="x")
    persona("sue")
    assert client.get("/admin/registries/auditrecord/").status_code == 200
    assert client.get(f"/admin/registries/auditrecord/{record.pk}/change/").status_code == 200
    client.post(f"/admin/registries/auditrecord/{record.pk}/delete/", {"post": "yes"})
    assert AuditRecord.objects.filter(pk=record.pk).exists()
    assert client.get("/admin/registries/auditrecord/add/").status_code == 403


def test_registry_events_and_api_tokens_are_read_only_in_the_admin(client, persona):
    persona("sue")
    for model in ("registryevent", "apitoken"):
        assert client.get(f"/admin/registries/{model}/").status_code == 200
        assert client.get(f"/admin/registries/{model}/add/").status_code == 403
