from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from registries.fields import EncryptionKeyError, reencrypt
from registries.models import NotificationEndpoint, Registry

# Every (model, encrypted field) pair; a new encrypted field gets a line here.
ENCRYPTED_FIELDS = [
    (Registry, "password"),
    (Registry, "webhook_secret"),
    (NotificationEndpoint, "secret"),
]


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret with the newest key in REGFRONT_ENCRYPTION_KEYS. "
        "Afterwards the older keys can be removed from the list."
    )

    def handle(self, *args, **options) -> None:
        try:
            with transaction.atomic():
                rotated = sum(rotate_field(model, name) for model, name in ENCRYPTED_FIELDS)
        except EncryptionKeyError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Re-encrypted {rotated} stored secret(s) with the newest key.")


def rotate_field(model, field_name: str) -> int:
    """Rewrite the stored tokens of one column; works on ciphertext, never saves plaintext."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    column = quote(model._meta.get_field(field_name).column)
    pk = quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        # Table and column names come from our own model metadata, not from input.
        cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {column} <> ''")  # noqa: S608
        rows = cursor.fetchall()
        for row_pk, token in rows:
            cursor.execute(
                f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608
                [reencrypt(token), row_pk],
            )
    return len(rows)
