from django.urls import path, re_path

from registries.contents.compare_views import CompareView, PreviousVersionView
from registries.contents.views import FilesView
from registries.events import notification_views as notifications
from registries.history.views import RestoreView, RetagView, TagHistoryView
from registries.inventory.views import SearchView, SyncNowView
from registries.promotion.views import CopyJobView, CopyResumeView, CopyView, PromoteView
from registries.retention import views as retention
from registries.retention.selection_views import TagsDeleteView
from registries.retention.storage_views import RegistryStorageView, RepositoryStorageView
from registries.supplychain.views import SigningKeyRemoveView, SigningKeysView, SupplyChainView
from registries.views import activity, browse, manage
from registries.views.tokens import ApiTokensView

app_name = "registries"

# Pages under a tag or digest: `<repo>:<tag>/…` or `<repo>@<digest>/…`. Tags and digests hold
# no `/`, so the first `/` after one starts the page's own part.
TAG = r"[^:@]+:[^/@]+"
TAG_OR_DIGEST = r"[^:@]+(?::[^/@]+|@[^/]+)"


def on_reference(reference: str, suffix: str, view, name: str):
    pattern = rf"^registry/(?P<name>[^/]+)/(?P<reference>{reference}){suffix}$"
    return re_path(pattern, view.as_view(), name=name)


urlpatterns = [
    path("", browse.RegistryListView.as_view(), name="home"),
    path("go", browse.JumpView.as_view(), name="jump"),
    path("search/", SearchView.as_view(), name="search"),
    path("compare/", CompareView.as_view(), name="compare"),
    path("compare/previous/", PreviousVersionView.as_view(), name="compare_previous"),
    path("activity/", activity.ActivityView.as_view(), name="activity"),
    path("account/api-tokens/", ApiTokensView.as_view(), name="api_tokens"),
    path("manage/registries/add/", manage.RegistryFormView.as_view(), name="registry_add"),
    path(
        "manage/registries/<str:name>/edit/",
        manage.RegistryFormView.as_view(),
        name="registry_edit",
    ),
    path(
        "manage/registries/<str:name>/remove/",
        manage.RegistryRemoveView.as_view(),
        name="registry_remove",
    ),
    path(
        "manage/registry/<str:name>/delete/<path:reference>",
        manage.ManifestDeleteView.as_view(),
        name="manifest_delete",
    ),
    path("manage/registries/<str:name>/sync/", SyncNowView.as_view(), name="registry_sync"),
    path(
        "manage/registries/<str:name>/signing-keys/",
        SigningKeysView.as_view(),
        name="signing_keys",
    ),
    path(
        "manage/registries/<str:name>/signing-keys/<int:pk>/remove/",
        SigningKeyRemoveView.as_view(),
        name="signing_key_remove",
    ),
    path(
        "manage/registries/<str:name>/retention/",
        retention.PolicyListView.as_view(),
        name="retention",
    ),
    path(
        "manage/registries/<str:name>/retention/add/",
        retention.PolicyFormView.as_view(),
        name="retention_add",
    ),
    path(
        "manage/registries/<str:name>/retention/runs/<int:pk>/",
        retention.RunDetailView.as_view(),
        name="retention_run",
    ),
    path(
        "manage/registries/<str:name>/retention/runs/<int:pk>/resume/",
        retention.RunResumeView.as_view(),
        name="retention_run_resume",
    ),
    path(
        "manage/registries/<str:name>/retention/<str:policy>/",
        retention.PolicyPlanView.as_view(),
        name="retention_policy",
    ),
    path(
        "manage/registries/<str:name>/retention/<str:policy>/edit/",
        retention.PolicyFormView.as_view(),
        name="retention_edit",
    ),
    path(
        "manage/registries/<str:name>/retention/<str:policy>/run/",
        retention.RunNowView.as_view(),
        name="retention_run_now",
    ),
    path(
        "manage/registries/<str:name>/retention/<str:policy>/pause/",
        retention.PauseView.as_view(),
        name="retention_pause",
    ),
    path(
        "manage/registries/<str:name>/delete-tags/",
        TagsDeleteView.as_view(),
        name="tags_delete",
    ),
    path(
        "manage/registries/<str:name>/notifications/",
        notifications.NotificationListView.as_view(),
        name="notifications",
    ),
    path(
        "manage/registries/<str:name>/notifications/add/",
        notifications.NotificationFormView.as_view(),
        name="notification_add",
    ),
    path(
        "manage/registries/<str:name>/notifications/<int:pk>/edit/",
        notifications.NotificationFormView.as_view(),
        name="notification_edit",
    ),
    path(
        "manage/registries/<str:name>/notifications/<int:pk>/remove/",
        notifications.NotificationRemoveView.as_view(),
        name="notification_remove",
    ),
    path(
        "manage/registries/<str:name>/notifications/<int:pk>/test/",
        notifications.NotificationTestView.as_view(),
        name="notification_test",
    ),
    path("registry/<str:name>/", browse.CatalogView.as_view(), name="catalog"),
    # `-` starts no repository name, so `/-/` never shadows a repository (storage_views.py).
    path("registry/<str:name>/-/storage/", RegistryStorageView.as_view(), name="storage"),
    path(
        "registry/<str:name>/-/storage/<path:repository>/",
        RepositoryStorageView.as_view(),
        name="storage_repository",
    ),
    on_reference(TAG_OR_DIGEST, r"/files/(?P<path>.*)", FilesView, "files"),
    on_reference(TAG_OR_DIGEST, "/supply-chain", SupplyChainView, "supply_chain"),
    on_reference(TAG, "/history", TagHistoryView, "tag_history"),
    on_reference(TAG, "/history/restore", RestoreView, "tag_history_restore"),
    on_reference(TAG_OR_DIGEST, "/add-tag", RetagView, "tag_add"),
    on_reference(TAG_OR_DIGEST, "/copy", CopyView, "copy"),
    on_reference(TAG_OR_DIGEST, "/promote", PromoteView, "promote"),
    path("manage/copies/<int:pk>/", CopyJobView.as_view(), name="copy_job"),
    path("manage/copies/<int:pk>/resume/", CopyResumeView.as_view(), name="copy_resume"),
    # Everything after the name is parsed with the reference grammar: `repo/`, `repo:tag`,
    # `repo@sha256:…`, with any number of `/` in repo.
    path("registry/<str:name>/<path:reference>", browse.reference_view, name="reference"),
]
