"""Counting failed attempts (sign-ins, API keys) in the shared cache, so every app server sees them."""

from django.core.cache import cache


class FailureThrottle:
    """Blocks once any of `limits` ({cache key: allowed failures}) is reached within `window` seconds."""

    def __init__(self, limits: dict[str, int], window: int):
        self.limits, self.window = limits, window

    def blocked(self) -> bool:
        counts = cache.get_many(self.limits)
        return any(counts.get(key, 0) >= limit for key, limit in self.limits.items())

    def fail(self) -> None:
        for key in self.limits:
            if not cache.add(key, 1, self.window):
                try:
                    cache.incr(key)
                except ValueError:  # expired between add and incr
                    cache.add(key, 1, self.window)

    def forgive(self, key: str) -> None:
        cache.delete(key)
