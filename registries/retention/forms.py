from django import forms

from registries.retention.models import RetentionPolicy

RESERVED = {"add", "runs"}  # the URLs beside /retention/<policy>/
FIELDS = ["name", "repositories", "keep_last", "order", "keep_days", "keep_regex", "protect",
          "interval", "paused"]  # fmt: skip


class RetentionPolicyForm(forms.ModelForm):
    class Meta:
        model = RetentionPolicy
        fields = FIELDS
        widgets = {
            "repositories": forms.Textarea(attrs={"rows": 3}),
            "protect": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if name in RESERVED:
            raise forms.ValidationError("This name is taken by a page; choose another.")
        others = RetentionPolicy.objects.filter(registry=self.instance.registry, name=name)
        if others.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("This registry already has a policy with this name.")
        return name
