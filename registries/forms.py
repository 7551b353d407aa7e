"""Forms for registry definitions, shared by the admin and the portal."""

from urllib.parse import urlsplit

from django import forms

from registries.models import Registry
from registries.pinned import parse_pinned
from registries.validators import normalise_registry_url

WEBHOOK_SECRET_MIN_LENGTH = 24


class RegistryForm(forms.ModelForm):
    """The password and the webhook token are write-only: never rendered back, and a blank
    field keeps the stored one.

    Pointing an existing registry at another origin (host, port or scheme) drops the stored
    password unless a password is entered again, so nobody can send saved credentials to a
    server of their choosing, or in clear text.

    Groups: people who are not superusers pick only among their own groups, the others stay
    as they were, and a group-limited registry keeps at least one group, so nobody can open
    a registry (and its stored credentials) to people it was hidden from. `user` is set by
    the admin (a subclass) or passed by the portal.
    """

    user = None

    password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted. Leave blank to keep the stored password.",
    )
    clear_password = forms.BooleanField(required=False, label="Remove the stored password")
    webhook_secret = forms.CharField(
        label="Webhook token",
        required=False,
        min_length=WEBHOOK_SECRET_MIN_LENGTH,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="The token this registry sends with its event notifications "
        "(Authorization: Bearer <token>); see the README. Stored encrypted. Leave blank to "
        "keep the stored token.",
    )
    clear_webhook_secret = forms.BooleanField(
        required=False, label="Remove the webhook token (turns the event webhook off)"
    )

    class Meta:
        model = Registry
        fields = [
            "name",
            "url",
            "username",
            "password",
            "verify_tls",
            "ca_bundle",
            "groups",
            "pinned_repositories",
            "webhook_secret",
        ]
        widgets = {
            "url": forms.URLInput(attrs={"placeholder": "https://registry.example.com"}),
            "ca_bundle": forms.Textarea(attrs={"rows": 4}),
            "groups": forms.CheckboxSelectMultiple,
            "pinned_repositories": forms.Textarea(
                attrs={"rows": 4, "placeholder": "team/app\nlibrary/alpine"}
            ),
        }

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user or self.user
        self.stored_password = self.instance.password if self.instance.pk else ""
        self.stored_origin = _origin(self.instance.url) if self.instance.pk else None
        self.stored_groups = set(self.instance.groups.all()) if self.instance.pk else set()
        if self._limited_to_own_groups() and "groups" in self.fields:
            self.fields["groups"].queryset = self.user.groups.all()
            self.fields["groups"].help_text = (
                "Only members of these groups see this registry. You can pick among your own "
                "groups; groups you are not in stay as they are, and only a superuser can "
                "remove every group (open the registry to everyone)."
            )
        self.stored_webhook_secret = self.instance.webhook_secret if self.instance.pk else ""
        self.password_dropped = False

    def _limited_to_own_groups(self) -> bool:
        return self.user is not None and not self.user.is_superuser

    def clean_groups(self) -> list:
        chosen = set(self.cleaned_data.get("groups") or [])
        if not self._limited_to_own_groups():
            return list(chosen)
        own = set(self.user.groups.all())
        groups = (chosen & own) | (self.stored_groups - own)
        if self.stored_groups and not groups:
            raise forms.ValidationError(
                "Only a superuser can open a group-limited registry to everyone: keep at least "
                "one group."
            )
        return list(groups)

    def clean_url(self) -> str:
        return normalise_registry_url(self.cleaned_data.get("url", ""))

    def clean_pinned_repositories(self) -> str:
        """Stored one name per line, without blanks or duplicates."""
        return "\n".join(parse_pinned(self.cleaned_data.get("pinned_repositories", "")))

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("clear_webhook_secret"):
            cleaned["webhook_secret"] = ""
        elif not cleaned.get("webhook_secret") and "webhook_secret" not in self.errors:
            cleaned["webhook_secret"] = self.stored_webhook_secret
        entered = cleaned.get("password", "")
        if entered or not self.stored_password:
            return cleaned
        url = cleaned.get("url")
        origin_changed = bool(url) and _origin(url) != self.stored_origin
        if cleaned.get("clear_password") or origin_changed:
            cleaned["password"] = ""
            self.password_dropped = origin_changed
        else:
            cleaned["password"] = self.stored_password
        return cleaned


def _origin(url: str) -> tuple[str, str]:
    """Scheme and host:port: credentials saved for https://host are not for http://host."""
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class PortalRegistryForm(RegistryForm):
    """The portal's form: the admin's rules plus optimistic locking.

    `version` carries the row's updated_at from when the form was shown; saving over a newer
    version is refused, so two people editing at once never silently overwrite each other.
    """

    version = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.updated_at.isoformat()
