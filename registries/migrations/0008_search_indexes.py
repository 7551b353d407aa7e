"""Search: an index's platform images on its row (rows of indexes from before are dropped, so
the next sync fetches them again), and on PostgreSQL the indexes search uses.

Trigram GIN indexes (pg_trgm) serve `icontains`, which Django writes as
`UPPER(col::text) LIKE UPPER(%s)`, so they index that expression. Digest prefixes
(`LIKE 'sha256:abc%'`) use pattern-ops B-trees. SQLite scans: nothing to create there.
"""

from django.db import migrations, models

TRIGRAM = [
    ("inventory_repository_name_trgm", "registries_indexedrepository", "name"),
    ("inventory_tag_name_trgm", "registries_indexedtag", "name"),
    ("inventory_manifest_labels_trgm", "registries_indexedmanifest", "labels"),
    ("inventory_manifest_annotations_trgm", "registries_indexedmanifest", "annotations"),
    # "Which index lists this platform image?": a full digest is many trigrams, few rows.
    ("inventory_manifest_children_trgm", "registries_indexedmanifest", "image_children"),
]
PREFIX = [
    ("inventory_tag_digest_prefix", "registries_indexedtag", "digest"),
    ("inventory_manifest_digest_prefix", "registries_indexedmanifest", "digest"),
]


def forget_indexes(apps, schema_editor) -> None:
    # Index rows from before know no platform images; without their row the next sync
    # fetches those manifests again (only those: images and the rest are complete).
    apps.get_model("registries", "IndexedManifest").objects.filter(kind="index").delete()


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in TRIGRAM:
        schema_editor.execute(
            f'CREATE INDEX "{name}" ON "{table}" USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )
    for name, table, column in PREFIX:
        schema_editor.execute(
            f'CREATE INDEX "{name}" ON "{table}" ("{column}" varchar_pattern_ops)'
        )


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in TRIGRAM + PREFIX:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
    # Without CASCADE: refused, rather than breaking them, if other objects use the extension.
    schema_editor.execute("DROP EXTENSION IF EXISTS pg_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("registries", "0007_sync_lease"),
    ]

    operations = [
        migrations.AddField(
            model_name="indexedmanifest",
            name="image_children",
            field=models.JSONField(
                blank=True, default=list, help_text="An index's platform images: [digest]"
            ),
        ),
        migrations.RunPython(forget_indexes, migrations.RunPython.noop),
        migrations.RunPython(create, drop),
    ]
