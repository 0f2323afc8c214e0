"""The chat pages: list, create, the chat itself (history, charts' data), asking from the page, the
page's answer stream, retry, edit and delete."""

import json
import re

import pytest

from chat.models import ChatMessage, ChatSession
from chat.responders import ResponderError
from tests.chat.scripted import ANSWER, DEFAULT_STEPS
from tests.chat.sse import read
from tests.jobs import run_deferred

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scripted")]


def test_list_and_create(pages, user_a, user_b, make_credential):
    mine = make_credential(user_a, "111", property_name="Shop")
    theirs = make_credential(user_b, "222")
    ChatSession.objects.create(user=user_b, title="Bob's chat")
    client = pages(user_a)
    listed = client.get("/chat/")
    assert listed.status_code == 200
    assert b"Bob&#x27;s chat" not in listed.content and b"Shop (111)" in listed.content
    # Not a bare b"222": the page's random CSP nonce may contain it.
    assert b"Property 222" not in listed.content and b"(222)" not in listed.content

    refused = client.post("/chat/new/", {"title": "Q", "persona": "po", "credential": str(theirs.pk)})
    assert refused.status_code == 200 and b"Select a valid choice" in refused.content
    created = client.post("/chat/new/", {"title": "Q", "persona": "po", "credential": str(mine.pk)})
    chat = ChatSession.objects.get(user=user_a)
    assert created.status_code == 302 and created["Location"] == f"/chat/{chat.pk}/"
    assert (chat.persona, chat.credential_id, chat.tenant_id) == ("po", mine.pk, user_a.pk)
    assert b"Q</a>" in client.get("/chat/").content


def test_ask_from_the_page_and_stream_the_answer(pages, user_a, scripted):
    chat = ChatSession.objects.create(user=user_a, title="New chat")
    client = pages(user_a)
    posted = client.post(f"/chat/{chat.pk}/ask/", {"text": "how are we doing?"}, HTTP_ACCEPT="application/json")
    assert posted.status_code == 201
    body = posted.json()
    assert body["title"] == "how are we doing?"
    assert body["user_message"]["content"] == {"type": "user", "text": "how are we doing?"}
    answer = body["assistant_message"]
    assert answer["status"] == "pending" and answer["stream_url"] == f"/chat/messages/{answer['id']}/stream/"
    assert run_deferred() == ["chat.answer"]
    events = read(client.get(answer["stream_url"]))
    assert [(e["id"], e["event"]) for e in events] == [(1, "streaming"), (2, "streaming"), (3, "streaming"), (4, "complete")]
    assert [e["id"] for e in read(client.get(answer["stream_url"], HTTP_LAST_EVENT_ID="3"))] == [4]
    assert client.get(answer["stream_url"] + "?last_event_id=x").status_code == 400

    page = client.get(f"/chat/{chat.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "how are we doing?" in html and "Sessions are up." in html
    assert 'data-testid="metrics"' in html and "▲ +50.0%" in html
    script = re.search(rf'<script id="{answer["id"]}" type="application/json">(.*?)</script>', html)
    assert json.loads(script.group(1)) == ANSWER  # the charts' data, for static/js/chat.js
    assert "vendor/vega/vega.min.js" in html and "vendor/vega/vega-lite.min.js" in html and "vendor/vega/vega-embed.min.js" in html


def test_ask_without_script_redirects_and_refuses_blank(pages, user_a):
    chat = ChatSession.objects.create(user=user_a, title="x")
    client = pages(user_a)
    assert client.post(f"/chat/{chat.pk}/ask/", {"text": "sessions"})["Location"] == f"/chat/{chat.pk}/"
    assert client.post(f"/chat/{chat.pk}/ask/", {"text": "  "}, HTTP_ACCEPT="application/json").status_code == 400
    assert ChatMessage.objects.filter(session=chat).count() == 2
    assert client.get(f"/chat/{chat.pk}/ask/").status_code == 405


def test_a_failed_answer_shows_its_error_and_can_be_retried(pages, user_a, scripted):
    chat = ChatSession.objects.create(user=user_a, title="x")
    client = pages(user_a)
    scripted.steps = [ResponderError("Google Analytics answered HTTP 503. Try again later.")]
    answer = client.post(f"/chat/{chat.pk}/ask/", {"text": "q"}, HTTP_ACCEPT="application/json").json()["assistant_message"]
    run_deferred()
    assert read(client.get(answer["stream_url"]))[-1]["event"] == "error"
    html = client.get(f"/chat/{chat.pk}/").content.decode()
    assert "Google Analytics answered HTTP 503. Try again later." in html and "Try again" in html
    scripted.steps = list(DEFAULT_STEPS)
    assert client.post(f"/chat/messages/{answer['id']}/retry/")["Location"] == f"/chat/{chat.pk}/"
    assert ChatMessage.objects.get(pk=answer["id"]).status == "pending"
    run_deferred()
    assert read(client.get(answer["stream_url"]))[-1]["event"] == "complete"
    assert client.post(f"/chat/messages/{answer['id']}/retry/", HTTP_ACCEPT="application/json").status_code == 409


def test_edit_archive_and_delete(pages, user_a):
    chat = ChatSession.objects.create(user=user_a, title="x")
    ChatMessage.objects.create(session=chat, role="user", content={"type": "user", "text": "hi"})
    client = pages(user_a)
    saved = client.post(f"/chat/{chat.pk}/edit/", {"title": "Renamed", "persona": "mgr", "credential": "", "archived": "on"})
    assert saved.status_code == 302
    chat.refresh_from_db()
    assert (chat.title, chat.persona, chat.archived) == ("Renamed", "mgr", True)
    assert b"Renamed" not in client.get("/chat/").content and b"Renamed" in client.get("/chat/?archived=1").content
    assert client.post(f"/chat/{chat.pk}/delete/")["Location"] == "/chat/"
    assert not ChatSession.objects.exists() and not ChatMessage.objects.exists()


def test_other_users_get_404_everywhere(pages, user_a, user_b, scripted):
    chat = ChatSession.objects.create(user=user_a, title="x")
    client_a = pages(user_a)
    answer = client_a.post(f"/chat/{chat.pk}/ask/", {"text": "q"}, HTTP_ACCEPT="application/json").json()["assistant_message"]
    client_b = pages(user_b)
    for url in [f"/chat/{chat.pk}/", f"/chat/{chat.pk}/edit/", f"/chat/{chat.pk}/delete/", answer["stream_url"]]:
        assert client_b.get(url).status_code == 404, url
    for url in [f"/chat/{chat.pk}/ask/", f"/chat/messages/{answer['id']}/retry/", f"/chat/{chat.pk}/delete/"]:
        assert client_b.post(url, {"text": "planted"}).status_code == 404, url
    assert ChatMessage.objects.count() == 2 and ChatMessage.objects.get(pk=answer["id"]).status == "pending"
    assert scripted.turns == []


def test_signed_out_visitors_go_to_the_login_page(pages, user_a):
    chat = ChatSession.objects.create(user=user_a, title="x")
    for url in ["/chat/", f"/chat/{chat.pk}/"]:
        response = pages().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_staff_read_chats_in_the_admin(admin_client, user_a):
    chat = ChatSession.objects.create(user=user_a, title="Support case")
    message = ChatMessage.objects.create(session=chat, role="user", content={"type": "user", "text": "help"})
    assert b"Support case" in admin_client.get("/admin/chat/chatsession/").content
    page = admin_client.get(f"/admin/chat/chatsession/{chat.pk}/change/")
    assert page.status_code == 200
    assert admin_client.get(f"/admin/chat/chatmessage/{message.pk}/change/").status_code == 200
    assert admin_client.get("/admin/chat/chatmessage/").status_code == 200
    assert admin_client.post(f"/admin/chat/chatsession/{chat.pk}/delete/", {"post": "yes"}).status_code == 403
