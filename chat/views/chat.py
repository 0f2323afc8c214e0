"""Pages: my chats, one chat (ask, watch the answer arrive, charts), and the page twins of the API's
ask, stream and retry (the pages sign in with a session cookie, which the API does not take)."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponseBadRequest, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.views import generic
from django.views.decorators.cache import never_cache

from accounts.tenancy import TenantRefused, tenant_for
from chat import content as content_schema
from chat import services, stream
from chat.api.views import event_stream_response
from chat.models import ChatMessage, ChatSession, GA4Credential
from core import rls
from core.pages import EndUserRequiredMixin, OwnedPageMixin, end_user_required
from core.parents import ParentFromURLMixin

HISTORY = 100  # messages shown on a chat page (the newest)


class ChatSessionForm(forms.ModelForm):
    class Meta:
        model = ChatSession
        fields = ["title", "persona", "credential"]
        labels = {"credential": "Google Analytics property"}
        help_texts = {"persona": "Picks the metrics a question gets when it names none."}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["credential"].queryset = GA4Credential.objects.for_user(user).order_by("property_name", "property_id")
        self.fields["credential"].empty_label = "None (connect one under Google Analytics)"
        self.fields["title"].initial = self.fields["title"].initial or services.DEFAULT_TITLE


class ChatSessionEditForm(ChatSessionForm):
    class Meta(ChatSessionForm.Meta):
        fields = [*ChatSessionForm.Meta.fields, "archived"]


def active_tenant(request):
    """The organization a page acts in (`accounts.tenancy.tenant_for`: the header switcher's choice,
    else the personal one); an organization named that is not the user's is a 404."""
    try:
        return tenant_for(request.end_user, request)
    except TenantRefused:
        raise Http404("No such organization.") from None


class ChatList(OwnedPageMixin, generic.ListView):
    """My chats in the active organization."""

    model = ChatSession
    paginate_by = 30
    template_name = "chat/chat_list.html"
    context_object_name = "chats"

    def get_queryset(self):
        archived = self.request.GET.get("archived") == "1"
        return super().get_queryset().filter(tenant_id=active_tenant(self.request), archived=archived).select_related("credential")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            form=ChatSessionForm(user=self.request.end_user), archived=self.request.GET.get("archived") == "1", **kwargs
        )


class ChatFormMixin:
    """The chat forms offer only the user's own GA4 properties; a saved chat opens itself."""

    model = ChatSession
    template_name = "chat/chat_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.end_user}

    def get_success_url(self):
        return reverse("chat:chat-detail", args=[self.object.pk])


class ChatCreate(OwnedPageMixin, ChatFormMixin, generic.CreateView):
    """A new chat, in the active organization."""

    form_class = ChatSessionForm

    def post(self, request, *args, **kwargs):
        self.tenant_id = active_tenant(request)  # a refused organization: 404 before the form is read
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        form.instance.user, form.instance.tenant_id = self.request.end_user, self.tenant_id
        return super().form_valid(form)


class ChatDetail(OwnedPageMixin, generic.DetailView):
    model = ChatSession
    template_name = "chat/chat_detail.html"
    context_object_name = "chat"

    def get_queryset(self):
        return super().get_queryset().select_related("credential")

    def get_context_data(self, **kwargs):
        chat = self.object
        newest = ChatMessage.objects.for_user(self.request.end_user).filter(tenant_id=chat.tenant_id, session=chat)
        history = list(newest.order_by("-created_at", "-id")[: HISTORY + 1])
        earlier = len(history) > HISTORY
        return super().get_context_data(chat_messages=history[:HISTORY][::-1], earlier=earlier, **kwargs)


class ChatUpdate(OwnedPageMixin, ChatFormMixin, generic.UpdateView):
    form_class = ChatSessionEditForm
    context_object_name = "chat"

    def form_valid(self, form):
        messages.success(self.request, "Chat saved.")
        return super().form_valid(form)


class ChatDelete(OwnedPageMixin, generic.DeleteView):
    model = ChatSession
    template_name = "chat/chat_confirm_delete.html"
    context_object_name = "chat"
    success_url = reverse_lazy("chat:chat-list")

    def form_valid(self, form):
        messages.success(self.request, f"Deleted “{self.object}” and its messages.")
        return super().form_valid(form)


def _my_message(request, pk) -> ChatMessage:
    return get_object_or_404(ChatMessage.objects.for_user(request.end_user), pk=pk)


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _message_json(message: ChatMessage) -> dict:
    return {
        "id": str(message.pk),
        "role": message.role,
        "status": message.status,
        "content": message.content,
        "error": message.error,
        "stream_url": reverse("chat:message-stream", args=[message.pk]),
    }


class Ask(ParentFromURLMixin, EndUserRequiredMixin, generic.View):
    """POST `text`: the question and its pending answer (JSON for the page's script, else back to
    the chat, where the answer is streamed)."""

    parent_model = ChatSession
    parent_url_kwarg = "pk"

    def post(self, request, pk):
        chat = self.get_parent()
        try:
            content = content_schema.validate({"type": "user", "text": request.POST.get("text", "")}, kinds=("user",))
        except content_schema.ContentInvalid as exc:
            errors = exc.fields.get("text", ["Ask a question."])
            if _wants_json(request):
                return JsonResponse({"error": {"code": "invalid", "message": errors[0], "fields": exc.fields}}, status=400)
            messages.error(request, f"Question not sent: {errors[0]}")
            return redirect("chat:chat-detail", pk=chat.pk)
        question, answer = services.ask(chat, content["text"])
        if _wants_json(request):
            return JsonResponse({"user_message": _message_json(question), "assistant_message": _message_json(answer), "title": chat.title}, status=201)
        return redirect("chat:chat-detail", pk=chat.pk)


@never_cache
@end_user_required
def message_stream(request, pk):
    """The Server-Sent Events of a message (`chat.stream`), for the signed-in end user."""
    message = _my_message(request, pk)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    try:
        last_event_id = stream.last_event_id(request.headers.get("Last-Event-ID", request.GET.get("last_event_id")))
    except ValueError:
        return HttpResponseBadRequest("The last event id is a whole number.")
    return event_stream_response(stream.stream(message.pk, claims=rls.claims_for(request.end_user, request.auth_session), last_event_id=last_event_id))


@end_user_required
def message_retry(request, pk):
    """POST: make a failed answer again (a background job runs the assistant once more)."""
    message = _my_message(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    retried = services.retry(message)
    if _wants_json(request):
        if not retried:
            return JsonResponse({"error": {"code": "not_failed", "message": "Only an answer that failed can be made again.", "fields": {}}}, status=409)
        return JsonResponse(_message_json(message))
    if not retried:
        messages.error(request, "Only an answer that failed can be made again.")
    return redirect("chat:chat-detail", pk=message.session_id)

