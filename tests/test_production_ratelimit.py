"""Login rate limit on the admin login: per (client IP, username), counted in the cache."""

import pytest

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    # Dozens of logins: the production hasher's deliberate slowness is not under test here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff(django_user_model):
    def make(username: str):
        return django_user_model.objects.create_user(
            username, password=PASSWORD, is_staff=True, is_superuser=True
        )

    return make


def _login(client, username, password, ip="198.51.100.7", url="/admin/login/"):
    return client.post(
        url, {"username": username, "password": password, "next": "/"}, REMOTE_ADDR=ip
    )


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/admin/login/", "/accounts/login/"])
def test_it_refuses_the_11th_attempt_even_with_the_right_password(client, staff, url):
    staff("alice")
    for _ in range(10):
        # The form again, with an error.
        assert _login(client, "alice", "wrong", url=url).status_code == 200

    refused = _login(client, "alice", PASSWORD, url=url)

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == 15 * 60
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_it_limits_each_username_and_address_on_its_own(client, staff, django_user_model):
    staff("alice")
    staff("bob")
    for _ in range(10):
        _login(client, "alice", "wrong")

    # Another user from the same address logs in, and that unblocks nobody else.
    assert _login(client, "bob", PASSWORD).status_code == 302
    client.logout()
    assert _login(client, "alice", PASSWORD).status_code == 429
    # The same username from another address is not blocked.
    assert _login(client, "alice", PASSWORD, ip="203.0.113.9").status_code == 302


@pytest.mark.django_db
def test_it_forgets_earlier_failures_after_a_success(client, staff):
    staff("carol")
    for _ in range(9):
        _login(client, "carol", "wrong")
    assert _login(client, "carol", PASSWORD).status_code == 302
    client.logout()

    for _ in range(9):
        _login(client, "carol", "wrong")
    assert _login(client, "carol", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_it_leaves_the_login_form_alone(client):
    for _ in range(12):
        assert client.get("/admin/login/").status_code == 200
