"""Adding a signing key in the portal (the admin edits them inline on the registry)."""

from django import forms

from registries.supplychain.models import SigningKey


class SigningKeyForm(forms.ModelForm):
    """`instance` carries the registry, so a name is refused when the registry has it."""

    class Meta:
        model = SigningKey
        fields = ["name", "public_key"]
        widgets = {
            "public_key": forms.Textarea(
                attrs={"rows": 5, "placeholder": "-----BEGIN PUBLIC KEY-----\n…"}
            )
        }

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        taken = SigningKey.objects.filter(registry=self.instance.registry, name=name)
        if taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("This registry already has a key with this name.")
        return name

    def clean_public_key(self) -> str:
        return self.cleaned_data["public_key"].strip() + "\n"
