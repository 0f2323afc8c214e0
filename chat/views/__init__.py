"""Pages of the chat app, one module per concern (credentials: Google Analytics)."""
