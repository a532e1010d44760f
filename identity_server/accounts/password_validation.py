"""Password rules beside Django's: a bound on length and the product's own words."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError


class MaximumLengthValidator:
    """Refuse passwords longer than ``max_length`` characters (hashing stays bounded)."""

    def __init__(self, max_length: int = 4096) -> None:
        self.max_length = max_length

    def validate(self, password: str, user=None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                f"This password is too long: at most {self.max_length} characters.",
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return f"At most {self.max_length} characters."


class ContextWordsValidator:
    """Refuse a password that is mostly the product's name or the user's own words.

    Django's UserAttributeSimilarityValidator compares with whole attributes; this one also
    catches "identity2026!" and "aliceliddell123": once the context words are removed, fewer
    than ``min_remaining`` characters are left.
    """

    def __init__(self, words: list[str] | None = None, min_remaining: int = 8) -> None:
        self.words = words
        self.min_remaining = min_remaining

    def _context_words(self, user) -> set[str]:
        words = set(self.words or [settings.PRODUCT_NAME, "password", "shop", "account"])
        if user is not None:
            email = getattr(user, "email", "") or ""
            words.update(re.split(r"[@.+_-]", email))
            for name in ("given_name", "family_name", "nickname"):
                words.update((getattr(user, name, "") or "").split())
        return {word.lower() for word in words if len(word) >= 3}

    def validate(self, password: str, user=None) -> None:
        remaining = password.lower()
        for word in sorted(self._context_words(user), key=len, reverse=True):
            remaining = remaining.replace(word, "")
        remaining = (
            re.sub(r"[\W\d_]", "", remaining) if len(remaining) < len(password) else remaining
        )
        if len(remaining) < self.min_remaining:
            raise ValidationError(
                "This password is too close to your name, your email or this site's name.",
                code="password_context_words",
            )

    def get_help_text(self) -> str:
        return "Not built from your name, your email or this site's name."
