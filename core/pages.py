"""Bases for server-rendered pages over user-owned models."""

from accounts.mixins import EndUserRequiredMixin


class OwnedPageMixin(EndUserRequiredMixin):
    """A page over `model`, scoped to the signed-in end user: another user's object is a 404."""

    def get_queryset(self):
        return self.model.objects.for_user(self.request.end_user)
