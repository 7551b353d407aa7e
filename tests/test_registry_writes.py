"""Many people adding, editing and removing registries at once lose nothing and never raise."""

import threading

import pytest
from django.db import connection

from registries.forms import RegistryForm
from registries.models import Registry
from registries.services import registry_delete, registry_save

WRITERS = 20


def save(data: dict, instance: Registry | None = None) -> tuple[Registry | None, RegistryForm]:
    form = RegistryForm(data={"url": "https://r.example", **data}, instance=instance)
    if not form.is_valid():
        return None, form
    return registry_save(form=form), form


@pytest.mark.django_db
def test_a_lost_race_on_the_name_is_a_form_error():
    first = RegistryForm(data={"name": "dup", "url": "https://r.example"})
    second = RegistryForm(data={"name": "dup", "url": "https://r.example"})
    assert first.is_valid() and second.is_valid()  # both pass the SELECT before either saves
    assert registry_save(form=first) is not None
    assert registry_save(form=second) is None
    assert "already exists" in second.errors["name"][0]


@pytest.mark.django_db
def test_editing_a_registry_removed_meanwhile_does_not_resurrect_it():
    registry = Registry.objects.create(name="gone", url="https://r.example")
    form = RegistryForm(data={"name": "gone", "url": "https://x.example"}, instance=registry)
    assert form.is_valid()
    registry_delete(name="gone")
    assert registry_save(form=form) is None
    assert "removed by someone else" in form.non_field_errors()[0]
    assert not Registry.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_writers_lose_nothing_and_raise_nothing():
    errors: list[BaseException] = []
    shared_winners: list[str] = []
    start = threading.Barrier(WRITERS)

    def writer(index: int) -> None:
        try:
            start.wait()
            for step in range(5):
                created, _ = save({"name": f"w{index}r{step}"})
                assert created is not None
            won, form = save({"name": "shared"})
            if won is not None:
                shared_winners.append(f"w{index}")
            else:
                assert "already exists" in form.errors["name"][0]
            mine = Registry.objects.get(name=f"w{index}r0")
            updated, _ = save({"name": mine.name, "url": f"https://w{index}.example"}, mine)
            assert updated is not None
            assert registry_delete(name=f"w{index}r1")
        except BaseException as exc:  # collected and asserted in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(shared_winners) == 1
    names = set(Registry.objects.values_list("name", flat=True))
    expected = {f"w{i}r{s}" for i in range(WRITERS) for s in (0, 2, 3, 4)} | {"shared"}
    assert names == expected
    for i in range(WRITERS):
        assert Registry.objects.get(name=f"w{i}r0").url == f"https://w{i}.example"
