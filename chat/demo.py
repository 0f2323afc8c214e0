"""Demo data of the analytics chat (`manage.py load_demo`, `core.demo`): the demo GA4 property
(`chat.ga4.demo`) connected for the demo user, and a chat whose questions are answered from it by
the real responder, as the answer job makes them, with no network."""

from chat import services
from chat.ga4 import demo as demo_property
from chat.models import ChatMessage, ChatSession, GA4Credential
from chat.responders import runner
from core import demo

CHAT_TITLE = "Demo: how is the store doing?"
QUESTIONS = [
    "How are we doing?",
    "Sessions by device category last 7 days",
    "Sessions per day over the last 30 days",
    "Top 5 pages by views last 30 days",
    "Share of conversions by channel last month",
    "Revenue by country last 30 days",
]


@demo.provider("the analytics chat")
def load(user, say):
    credential = connect_demo_property(user)
    session = ChatSession.objects.filter(user=user, title=CHAT_TITLE).first()
    if session is None:
        session = ChatSession.objects.create(user=user, title=CHAT_TITLE, persona=ChatSession.Persona.MGR, credential=credential)
        for question in QUESTIONS:
            _, answer = services.ask(session, question)
            answer_now(answer, user)
    for answer in ChatMessage.objects.filter(session=session, role=ChatMessage.Role.ASSISTANT).exclude(status=ChatMessage.Status.COMPLETE):
        services.retry(answer)
        answer_now(answer, user)
    answered = ChatMessage.objects.filter(session=session, role=ChatMessage.Role.ASSISTANT, status=ChatMessage.Status.COMPLETE).count()
    say(f"GA4 property “{credential.property_name}” (id {credential.property_id}, built in, synthetic data); "
        f"chat “{CHAT_TITLE}” with {answered} answered questions.")


def connect_demo_property(user) -> GA4Credential:
    """The user's credential for the demo property: active, flagged `is_demo`, without tokens."""
    credential, _ = GA4Credential.objects.update_or_create(
        user=user,
        property_id=demo_property.PROPERTY_ID,
        defaults={"property_name": demo_property.PROPERTY_NAME, "is_demo": True, "status": GA4Credential.Status.ACTIVE,
                  "access_token": None, "refresh_token": None, "token_expiry": None, "scopes": []},
    )
    return credential


def answer_now(message: ChatMessage, user) -> None:
    """Make a pending answer here, with the answer job's own function (the job `ask` deferred then
    finds it finished and does nothing): the demo is complete when load_demo returns."""
    runner.answer(message.pk, user.pk)
