"""Google Analytics 4: the OAuth connection (`oauth`) and the access-token service (`tokens`).

Other parts of the project call `chat.ga4.tokens.get_access_token(credential)` before talking to the
GA4 Data API; nothing else reads a credential's tokens.
"""
