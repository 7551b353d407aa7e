"""The Activity page: regfront's audit trail and the registries' own events, for staff."""

from django.contrib.auth.mixins import UserPassesTestMixin
from django.views.generic import TemplateView

from registries.services.activity import activity_page


class ActivityView(UserPassesTestMixin, TemplateView):
    """The audit trail and the registries' pushes and deletes, newest first, for staff."""

    template_name = "registries/activity.html"
    per_page = 50

    def test_func(self) -> bool:
        return self.request.user.is_staff

    def get_context_data(self, **kwargs) -> dict:
        # The audit trail merged with what registries report through the event webhook.
        page = activity_page(
            user=self.request.user, number=self.request.GET.get("page"), per_page=self.per_page
        )
        return super().get_context_data(page=page, page_query="", **kwargs)
