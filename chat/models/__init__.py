"""Models of the chat app, one module per concern."""

from .conversations import ChatMessage, ChatSession, MessageStatus, Persona, Role
from .credentials import CredentialStatus, GA4Credential

__all__ = ["ChatMessage", "ChatSession", "CredentialStatus", "GA4Credential", "MessageStatus", "Persona", "Role"]
