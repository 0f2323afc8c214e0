"""Acting as an end user inside the current transaction, the way PostgREST does.

`set_config(..., true)` is local to the transaction: a pooled connection never carries the role or
the claims on to the next request.
"""

import contextvars
import json
import logging
from contextlib import ExitStack, contextmanager

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction

from core import statements

logger = logging.getLogger(__name__)
# Undoes, in the same transaction, a switch made by a statement that authenticated a request
# (`acting_as`) when Python then refuses what SQL let in.
STOP_ACTING = "SELECT set_config('role', 'none', true), set_config('request.jwt.claims', '', true)"


def switch_sql(claims: str) -> str:
    """SQL that makes act_as()'s switch to the claims `claims` (an SQL expression of their JSON text)
    inside another statement, true once done: for a lookup that authenticates and switches in one
    round trip (`acting_as`)."""
    return (f"set_config('request.jwt.claims', {claims}, true) IS NOT NULL"
            " AND set_config('role', 'authenticated', true) IS NOT NULL")


def claims_text(claims: dict) -> str:
    """The claims as `request.jwt.claims` holds them (what `auth.jwt()` reads)."""
    return json.dumps(claims, default=str)


def act_as(claims: dict) -> None:
    """Switch the current transaction to the `authenticated` role with these JWT claims, so every
    row-level security policy (`auth.uid()`, `auth.jwt()`) applies to what follows."""
    if not connection.in_atomic_block:
        raise RuntimeError("act_as() needs a transaction: set_config(..., true) would not outlive the statement")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('request.jwt.claims', %s, true), set_config('role', 'authenticated', true)",
            [claims_text(claims)],
        )


def acts_as_caller(request) -> None:
    """Mark `request` as one whose view acts as its authenticated caller (core.api.views.RLSMixin):
    an authenticator may then make the switch in its own lookup (`switch_sql`, `acting_as`)."""
    getattr(request, "_request", request)._rls_acts_as_caller = True


def switch_wanted(request) -> bool:
    """Whether an authenticator of `request` may switch the transaction to its caller: the view
    acts as its caller (`acts_as_caller`), inside a transaction."""
    return getattr(getattr(request, "_request", request), "_rls_acts_as_caller", False) and connection.in_atomic_block
ANON_CLAIMS = {"role": "anon"}


def act_as_anon() -> None:
    """Switch the current transaction to the `anon` role, as PostgREST does for a request without a
    token: it reads only what a grant and a policy give `anon` (seed 002's public-read tables)."""
    if not connection.in_atomic_block:
        raise RuntimeError("act_as_anon() needs a transaction: set_config(..., true) would not outlive the statement")
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('request.jwt.claims', %s, true), set_config('role', 'anon', true)",
                       [json.dumps(ANON_CLAIMS)])


def acting_as(request, claims: dict) -> None:
    """Note that the statement that authenticated `request` has already switched the current
    transaction to `claims`, as act_as() would (partners.keys.LOOKUP_AND_ACT does it in the key's
    lookup, saving a round trip): `act_as_for` then skips it. Outside a transaction the switch has
    lapsed with its statement, and nothing is noted."""
    if connection.in_atomic_block:
        http_request = getattr(request, "_request", request)
        http_request._rls_acting = (claims, connection.atomic_blocks[-1])


def stop_acting() -> None:
    """Undo the switch of a statement that authenticated the request (see `acting_as`)."""
    statements.execute(STOP_ACTING, (), prepare=True)


def act_as_for(request, claims: dict) -> None:
    """act_as(claims) for `request`, unless its authentication switched to these very claims in this
    same transaction block (`acting_as`)."""
    http_request = getattr(request, "_request", request)
    noted = http_request.__dict__.pop("_rls_acting", None)
    if (noted is not None and noted[0] is claims and connection.in_atomic_block
            and connection.atomic_blocks[-1] is noted[1] and not connection.needs_rollback):
        return
    act_as(claims)


def _reset() -> None:
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE; SELECT set_config('request.jwt.claims', '', true)")


def _drop_if_lost() -> None:
    """Drop a connection the server has cut (a restart) while still inside the transaction. Left to
    `atomic()`, the rollback on it would fail, and atomic() would then connect again only to restore
    autocommit: a second wait of up to the pool timeout while the database is down, whose error
    would replace the first."""
    if connection.connection is not None and connection.connection.closed:
        connection.close()  # inside the block: atomic() skips the rollback and the reconnection


_within: list = []  # see within_request_transactions()


def within_request_transactions(factory) -> None:
    """Run every request transaction's block inside `factory(commit=...)`, a context manager (the
    audit capture's `audit.writer.deferred`). On a clean exit it may do the transaction's last
    work; with `commit=True` (the outermost transaction) it may send the COMMIT with that work in
    one round trip, and `atomic()` then finds the transaction committed."""
    if factory not in _within:
        _within.append(factory)


# The innermost request transaction in force: (its atomic block, whether nested in another).
_request_block = contextvars.ContextVar("request_block", default=None)
_last_reads = contextvars.ContextVar("last_reads", default=False)  # inside last_reads()


@contextmanager
def request_transaction():
    """One transaction for a request. Nested inside an outer transaction (a test case, a management
    command), the role and claims are undone on the way out instead of by the commit."""
    nested = connection.in_atomic_block
    try:
        with transaction.atomic():
            current = _request_block.set((connection.atomic_blocks[-1], nested))
            try:
                with ExitStack() as within:
                    for factory in _within:
                        within.enter_context(factory(commit=not nested))
                    try:
                        yield
                    finally:
                        connection.reads_finished = False  # before the capture's last writes
            except DatabaseError:
                _drop_if_lost()
                raise
            finally:
                _request_block.reset(current)
    finally:
        if nested and not connection.needs_rollback:
            _reset()


@contextmanager
def last_reads(request):
    """Declare the reads of the block the last statements of `request`'s transaction (a list view:
    once its page is read, it only writes rows out). For a GET or HEAD, the statements that
    `ending()` is asked about go out with the transaction's COMMIT in the same round trip where it
    may end there; in any case no statement may follow them until the request's transaction block
    ends (core.db.base.DatabaseWrapper.reads_finished), which holds the tests' nested transactions
    to what production's committed ones require."""
    if request.method not in ("GET", "HEAD"):
        yield
        return
    token = _last_reads.set(True)
    try:
        yield
    finally:
        _last_reads.reset(token)


def ending(alias: str = DEFAULT_DB_ALIAS) -> bool | None:
    """Asked by the sender of a read that ends `last_reads()` (core.api.pagination: a page and its
    count) just before it sends it: None if it is not the last of a request transaction's reads
    (outside `last_reads()`, or inside another block than the request's); True if the COMMIT may
    go with it — the request's transaction is the outermost block and has nothing to roll back
    and nothing to run on commit (deferred audit rows, jobs: such a transaction ends as usual);
    False otherwise. Unless None, the sender calls `reads_sent()` once it has sent the read."""
    current = _request_block.get()
    if not _last_reads.get() or alias != DEFAULT_DB_ALIAS or current is None:
        return None
    wrapper = connections[alias]
    if not wrapper.in_atomic_block or wrapper.atomic_blocks[-1] is not current[0]:
        return None
    return not (current[1] or wrapper.needs_rollback or wrapper.run_on_commit)


def reads_sent() -> None:
    """The request's last reads are out (see `ending()`): every cursor refuses a statement until
    its transaction block ends."""
    connection.reads_finished = True


@contextmanager
def end_user(claims: dict):
    """Run a block as an end user (for scripts and tests): `with rls.end_user(claims_for(user)):`."""
    with request_transaction():
        act_as(claims)
        yield


def current_claims() -> dict:
    """The claims the current transaction acts with ({} as the connection role)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nullif(current_setting('request.jwt.claims', true), '')")
        text = cursor.fetchone()[0]
    return json.loads(text) if text else {}


def claims_for(user, session=None) -> dict:
    """The claims Supabase would put in a token for `user` (accounts.models.AuthUser), with the
    `session_id` and `aal` of `session` (an `auth.sessions` row: a signed-in page's) when given."""
    claims = {
        "sub": str(user.id),
        "role": "authenticated",
        "aud": "authenticated",
        "email": user.email or "",
        "is_anonymous": bool(user.is_anonymous),
    }
    if session is not None:
        claims |= {"session_id": str(session.pk), "aal": session.aal or "aal1"}
    return claims


def after_transaction(request, callback) -> None:
    """Run `callback(response)` once the request's transaction has ended, committed or rolled back,
    as the connection role: for records that must outlive a failed request (refused credentials,
    request logs)."""
    http_request = getattr(request, "_request", request)
    http_request.__dict__.setdefault("_after_transaction", []).append(callback)


def run_after_transaction(request, response) -> None:
    for callback in request.__dict__.pop("_after_transaction", []):
        try:
            with transaction.atomic():
                callback(response)
        except DatabaseError:  # the database is down: the request has its answer already
            logger.warning("after-transaction write failed for %s", request.path, exc_info=True)
