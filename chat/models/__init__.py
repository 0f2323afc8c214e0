"""Models of the chat app, one module per concern."""

from .credentials import CredentialStatus, GA4Credential

__all__ = ["CredentialStatus", "GA4Credential"]
