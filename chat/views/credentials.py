"""Pages: my Google Analytics properties — connect (OAuth 2.0 code flow with PKCE), reconnect,
revoke. Tokens never reach a template."""

import logging

import httpx
from django import forms
from django.contrib import messages
from django.core.validators import RegexValidator
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views import generic
from django.views.decorators.cache import never_cache

from chat.ga4 import credentials as credential_service
from chat.ga4 import oauth
from chat.models import GA4Credential
from core.pages import EndUserRequiredMixin, OwnedPageMixin

logger = logging.getLogger(__name__)

LIST_URL = reverse_lazy("chat:ga4-list")


class ConnectForm(forms.Form):
    property_id = forms.CharField(
        label="GA4 property id",
        max_length=31,
        validators=[RegexValidator(r"^(properties/)?[0-9]{1,20}\Z", "A GA4 property id is a number, e.g. 123456789.")],
        help_text="Google Analytics → Admin → Property details, e.g. 123456789.",
    )
    property_name = forms.CharField(label="Display name", max_length=255, required=False)

    def clean_property_id(self):
        return credential_service.normalize_property_id(self.cleaned_data["property_id"])


class CredentialList(OwnedPageMixin, generic.ListView):
    model = GA4Credential
    paginate_by = 50
    template_name = "chat/ga4_list.html"
    context_object_name = "credentials"


class Connect(EndUserRequiredMixin, generic.FormView):
    """Without a Google OAuth client (GA4_OAUTH_CLIENT_ID empty) there is nothing to connect with:
    the page says so, and points at the demo property, instead of sending the browser to Google."""

    form_class = ConnectForm
    template_name = "chat/ga4_connect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if not oauth.configured():
            context["unavailable"] = True
            context["demo_credential"] = GA4Credential.objects.for_user(self.request.end_user).filter(is_demo=True).first()
        return context

    def post(self, request, *args, **kwargs):
        if not oauth.configured():
            return self.render_to_response(self.get_context_data(), status=503)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        url = oauth.start_authorization(
            self.request, property_id=form.cleaned_data["property_id"], property_name=form.cleaned_data["property_name"]
        )
        return HttpResponseRedirect(url)


class Reconnect(OwnedPageMixin, generic.DetailView):
    """GET: what reconnecting does; POST: start the flow again for this property."""

    model = GA4Credential
    template_name = "chat/ga4_reconnect.html"
    context_object_name = "credential"

    def post(self, request, *args, **kwargs):
        credential = self.get_object()
        if credential.is_demo:  # nothing at Google to reconnect: the built-in property is just active again
            GA4Credential.objects.filter(pk=credential.pk).update(status=GA4Credential.Status.ACTIVE)
            messages.success(request, f"Reconnected “{credential}”.")
            return redirect(LIST_URL)
        if not oauth.configured():
            return redirect("chat:ga4-connect")  # which says why connecting is unavailable
        url = oauth.start_authorization(request, property_id=credential.property_id, property_name=credential.property_name)
        return HttpResponseRedirect(url)


class Revoke(OwnedPageMixin, generic.DetailView):
    model = GA4Credential
    template_name = "chat/ga4_revoke.html"
    context_object_name = "credential"

    def post(self, request, *args, **kwargs):
        credential = self.get_object()
        credential_service.revoke(credential)
        messages.success(request, f"Revoked access to “{credential}”. Its tokens are deleted.")
        return redirect(LIST_URL)


class Callback(EndUserRequiredMixin, generic.View):
    """Where the provider sends the browser back: verify `state` (single use), exchange the code
    with the PKCE verifier, store the tokens."""

    def get(self, request):
        try:
            pending = oauth.take_pending(request, request.GET.get("state"))
        except oauth.InvalidState:
            return render(request, "chat/ga4_callback_error.html", status=HttpResponseBadRequest.status_code)
        error = request.GET.get("error")
        code = request.GET.get("code")
        if error or not code:
            messages.error(request, "Google Analytics was not connected: access was not granted.")
            return redirect(LIST_URL)
        try:
            tokens = oauth.finish_authorization(pending, code)
        except oauth.OAuthError as refused:
            logger.warning("GA4 code exchange refused: %s", refused.error)
            messages.error(request, "Google refused the connection. Please try again.")
            return redirect(LIST_URL)
        except httpx.HTTPError:
            logger.warning("GA4 code exchange failed", exc_info=True)
            messages.error(request, "Google could not be reached. Please try again in a moment.")
            return redirect(LIST_URL)
        credential, created = credential_service.store_tokens(
            request.end_user, property_id=pending.property_id, property_name=pending.property_name, tokens=tokens
        )
        messages.success(request, f"{'Connected' if created else 'Reconnected'} “{credential}”.")
        return redirect(LIST_URL)


callback = never_cache(Callback.as_view())
