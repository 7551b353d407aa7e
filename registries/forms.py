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

    Pointing an existing registry at another host drops the stored password unless a password
    is entered again, so nobody can send saved credentials to a server of their choosing.
    """

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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stored_password = self.instance.password if self.instance.pk else ""
        self.stored_host = self.instance.host if self.instance.pk else ""
        self.stored_webhook_secret = self.instance.webhook_secret if self.instance.pk else ""
        self.password_dropped = False

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
        host_changed = bool(url) and urlsplit(url).netloc != self.stored_host
        if cleaned.get("clear_password") or host_changed:
            cleaned["password"] = ""
            self.password_dropped = host_changed
        else:
            cleaned["password"] = self.stored_password
        return cleaned


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
