"""The portal page where people create and revoke their own API tokens."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.generic import TemplateView

from registries.api.auth import token_create
from registries.models import ApiToken

TOKENS_PER_USER_MAX = 50


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label="Token name",
        help_text="What the token is for, e.g. “CI cleanup job”.",
    )


class ApiTokensView(LoginRequiredMixin, TemplateView):
    """List, create (shown once) and revoke the signed-in person's tokens. POST with CSRF."""

    template_name = "registries/api_tokens.html"

    def get_context_data(self, **kwargs) -> dict:
        kwargs.setdefault("form", TokenForm())
        tokens = ApiToken.objects.filter(user=self.request.user)
        return super().get_context_data(tokens=tokens, **kwargs)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if "revoke" in request.POST:
            deleted, _ = ApiToken.objects.filter(
                user=request.user, pk=_int(request.POST["revoke"])
            ).delete()
            if deleted:
                messages.success(request, "Token revoked: it no longer works.")
            return redirect("registries:api_tokens")
        form = TokenForm(request.POST)
        if form.is_valid() and self._too_many():
            form.add_error(None, f"You have {TOKENS_PER_USER_MAX} tokens: revoke one first.")
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        row, token = token_create(user=request.user, name=form.cleaned_data["name"])
        # Shown in this response only: the database keeps just its hash.
        response = self.render_to_response(self.get_context_data(new_token=token, new_row=row))
        response["Cache-Control"] = "no-store"
        return response

    def _too_many(self) -> bool:
        return ApiToken.objects.filter(user=self.request.user).count() >= TOKENS_PER_USER_MAX


def _int(text: str) -> int:
    return int(text) if text.isdigit() else 0
