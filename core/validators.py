"""Text rules shared by models, forms and API serializers."""

# What Python's str.strip() removes (Django and DRF trim it off before checking that a value is not blank).
WHITESPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
