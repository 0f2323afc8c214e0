"""Who is acting, from where: the request identity every audit row takes by default.

`AuditMiddleware` opens one `Scope` per request (management commands and jobs may open their own
with `audit.context(...)`); it lives in a contextvar, so code deep inside a view, a service or a
signal handler reaches it without being handed the request.
"""

import contextvars
import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field

REQUEST_ID_HEADER = "X-Request-ID"
# A request id passed on by a proxy or a client is kept only if it is short and plain.
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$")

_current: contextvars.ContextVar = contextvars.ContextVar("audit_scope", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_from(value: str | None) -> str:
    if value and SANE_REQUEST_ID.match(value):
        return value
    return new_request_id()


@dataclass
class Scope:
    """One request (or command run): its identity and the audit rows it wrote that must survive a
    rollback of its transaction (`pending`)."""

    origin: str  # api | page | admin | command; "" for a request: taken from its resolved view
    request_id: str = field(default_factory=new_request_id)
    request: object = None  # django.http.HttpRequest
    user: object = None  # an explicit end user (commands); requests resolve theirs lazily
    capture: bool = False  # the generic model-change capture is on
    snapshots: bool = False  # keep loaded values for the capture's old/new (writes only)
    pending: list = field(default_factory=list)
    deferred: list | None = None  # inside a request transaction: the capture's rows to write at its end
    _ip: str | None = None

    @property
    def via(self) -> str:
        """api, page or admin for a request (read from the view Django resolved, so the middleware
        resolves nothing itself), or the name the scope was opened with."""
        if self.origin:
            return self.origin
        match = getattr(self.request, "resolver_match", None)
        if match is None:
            return "page"
        if match.app_name == "admin":
            return "admin"
        return "api" if hasattr(match.func, "cls") else "page"

    @property
    def ip(self) -> str:
        if self._ip is None:
            from core.netaddr import client_ip

            self._ip = client_ip(self.request) if self.request is not None else ""
        return self._ip

    @property
    def user_agent(self) -> str:
        if self.request is None:
            return ""
        return self.request.META.get("HTTP_USER_AGENT", "")[:1000]

    def end_user(self):
        """The `auth.users` row acting now: the API's authenticated user, or the pages' signed-in one."""
        if self.user is not None:
            return self.user
        request = self.request
        if request is None:
            return None
        from accounts.models import AuthUser

        user = request.__dict__.get("user")  # DRF puts the token's AuthUser here once authenticated
        if type(user) is AuthUser:
            return user
        return getattr(request, "end_user", None)

    def staff_user(self):
        """The staff user (django.contrib.auth) of an admin request, or None."""
        request = self.request
        if request is None or self.via != "admin":
            return None
        user = getattr(request, "user", None)
        from accounts.models import AuthUser

        if user is None or isinstance(user, AuthUser) or not getattr(user, "is_authenticated", False):
            return None
        return user


def current() -> Scope | None:
    return _current.get()


@contextmanager
def scope(via: str, **kwargs):
    """Run a block as one audit scope; on the way out, rows that must outlive a rolled-back
    transaction are written again (see `audit.writer.flush_pending`)."""
    from audit import writer

    token = _current.set(Scope(origin=via, **kwargs))
    try:
        yield _current.get()
    finally:
        current_scope = _current.get()
        _current.reset(token)
        writer.flush_pending(current_scope)
