"""The client's address, decided once for every throttle, log and audit row.

`REMOTE_ADDR` is the address that opened the connection, and the only one a client cannot choose.
Behind proxies that append to `X-Forwarded-For`, the right-most entries are written by them; the
client's is the first one, counting from the right, that no trusted proxy wrote. Without a trusted
proxy configured the header is ignored: anyone can send it.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]):
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def client_ip(request) -> str:
    """The client's IP address as text ('' when even REMOTE_ADDR is not an address).

    Settings: `TRUSTED_PROXY_COUNT` (how many proxies, each appending the address it received from)
    or `TRUSTED_PROXIES` (their networks: hops are trusted while they come from one of them)."""
    request = getattr(request, "_request", request)
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    if remote is None:
        return ""
    count, trusted = settings.TRUSTED_PROXY_COUNT, _networks(tuple(settings.TRUSTED_PROXIES))
    if not count and not trusted:
        return str(remote)
    forwarded = [_address(part) for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")][-64:]
    hops = forwarded + [remote]  # right-most is the nearest hop
    if count:
        # `count` proxies: the nearest is REMOTE_ADDR, each appended the hop before it.
        candidate = hops[-count - 1] if len(hops) > count else None
        return str(candidate or remote)
    client = remote
    for hop in reversed(hops):
        if hop is None:
            break  # a garbled entry: nothing left of it can be trusted
        client = hop
        if not any(hop in network for network in trusted):
            break
    return str(client)
