"""Adding and editing a notification endpoint. The URL and the secret are write-only: a
Slack or Mattermost webhook URL is itself the credential, so neither is shown again, and
leaving them empty when editing keeps what is stored."""

from urllib.parse import urlsplit

from django import forms
from django.conf import settings

from registries.client.netguard import DestinationRefused, check_host
from registries.events.models import NotificationEndpoint

SECRET_MIN = 24
FIELDS = ["name", "kind", "url", "secret", "on_push", "on_delete", "on_retention",
          "on_promotion", "enabled"]  # fmt: skip


def url_shown(url: str) -> str:
    """What pages may show of an endpoint's URL: its scheme and host."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}/…" if parts.netloc else ""


class NotificationEndpointForm(forms.ModelForm):
    url = forms.URLField(
        label="URL",
        max_length=2000,
        assume_scheme="https",
        required=False,
        widget=forms.URLInput(attrs={"autocomplete": "off"}),
    )
    secret = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=(
            f"Webhooks: at least {SECRET_MIN} characters; the receiver checks "
            "X-Regfront-Signature with it. Not shown again."
        ),
    )

    class Meta:
        model = NotificationEndpoint
        fields = FIELDS

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.editing = self.instance.pk is not None
        self.initial.pop("url", None)
        self.initial.pop("secret", None)
        if self.editing:
            self.fields[
                "url"
            ].help_text = f"Now {url_shown(self.instance.url)} — leave empty to keep it."
            self.fields["secret"].help_text += " Leave empty to keep the current one."
        else:
            self.fields["url"].help_text = "Where the POSTs go (http:// or https://)."

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        # The admin's form chooses the registry (a field before this one); the portal's is set.
        registry = self.cleaned_data.get("registry") or self.instance.registry_id
        taken = NotificationEndpoint.objects.filter(registry=registry, name=name)
        if taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("This registry already has an endpoint with this name.")
        return name

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if not url:
            if self.editing:
                return self.instance.url
            raise forms.ValidationError("Enter the URL notifications are posted to.")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise forms.ValidationError("Only http:// and https:// URLs.")
        if parts.username is not None or parts.password is not None:
            raise forms.ValidationError("Put no username or password in the URL.")
        try:  # the guard checks names again when connecting, after DNS
            check_host(parts.hostname or "", deny_private=settings.REGFRONT_DENY_PRIVATE_NETWORKS)
        except DestinationRefused as exc:
            raise forms.ValidationError(
                f"{exc.address} is not an address regfront sends to (link-local and metadata "
                "addresses never; private ones when REGFRONT_DENY_PRIVATE_NETWORKS is on)."
            ) from exc
        return url

    def clean(self) -> dict:
        data = super().clean()
        secret = data.get("secret", "")
        if secret and len(secret) < SECRET_MIN:
            self.add_error("secret", f"Use at least {SECRET_MIN} characters.")
            return data
        if not secret and self.editing:
            data["secret"] = secret = self.instance.secret
        if not secret and data.get("kind") == NotificationEndpoint.Kind.WEBHOOK:
            self.add_error("secret", "A webhook needs a secret to sign its notifications.")
        return data
