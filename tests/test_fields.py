"""Credentials are encrypted at rest and stay readable across key rotations."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection, transaction

from registries.fields import EncryptionKeyError
from registries.models import Registry

pytestmark = pytest.mark.django_db
SECRET = "correct horse battery staple"


def raw_passwords() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM registries_registry")
        return [row[0] for row in cursor.fetchall()]


def test_it_never_stores_the_password_in_plaintext():
    Registry.objects.create(name="one", url="https://r.example", username="u", password=SECRET)
    stored = raw_passwords()
    assert len(stored) == 1
    assert SECRET not in stored[0]
    assert stored[0].startswith("gAAAAA")  # a Fernet token
    assert Registry.objects.get(name="one").password == SECRET


def test_it_keeps_an_empty_password_empty():
    Registry.objects.create(name="open", url="https://r.example")
    assert raw_passwords() == [""]
    assert Registry.objects.get(name="open").password == ""


def test_it_keeps_passwords_readable_across_two_rotations(settings):
    first, second, third = (Fernet.generate_key().decode() for _ in range(3))
    settings.REGFRONT_ENCRYPTION_KEYS = [first]
    Registry.objects.create(name="r1", url="https://a.example", username="u", password=SECRET)
    Registry.objects.create(name="r2", url="https://b.example", username="u", password="other")

    for newest, older in ((second, first), (third, second)):
        settings.REGFRONT_ENCRYPTION_KEYS = [newest, older]
        call_command("rotate_encryption_keys", stdout=io.StringIO())
        # After rotating, the newest key alone opens every row.
        settings.REGFRONT_ENCRYPTION_KEYS = [newest]
        assert {r.name: r.password for r in Registry.objects.all()} == {"r1": SECRET, "r2": "other"}


def test_it_raises_a_clear_error_with_the_wrong_key(settings):
    Registry.objects.create(name="r1", url="https://a.example", username="u", password=SECRET)
    settings.REGFRONT_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(EncryptionKeyError, match="cannot be decrypted"):
        Registry.objects.get(name="r1")


def test_it_raises_a_clear_error_without_a_key(settings):
    settings.REGFRONT_ENCRYPTION_KEYS = []
    with pytest.raises(EncryptionKeyError, match="No encryption key"), transaction.atomic():
        Registry.objects.create(name="r1", url="https://a.example", username="u", password=SECRET)
    assert Registry.objects.count() == 0


def test_it_refuses_to_rotate_with_a_key_list_that_lost_the_old_key(settings):
    Registry.objects.create(name="r1", url="https://a.example", username="u", password=SECRET)
    before = raw_passwords()
    settings.REGFRONT_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(Exception, match="none of REGFRONT_ENCRYPTION_KEYS"):
        call_command("rotate_encryption_keys")
    assert raw_passwords() == before
