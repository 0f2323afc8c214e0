"""Support staff's tools for an end user's privacy requests (the admin's "Privacy requests"):
erase their telemetry (a data-subject erasure request), turn their monitoring off (asked by e-mail),
prepare an export of their data for them. Each goes through the service the user's own page uses,
as the user under row-level security (the zero-trust tables are forced), so it writes the same
transparency-log row, which here also names the staff member and the reason given: the user sees it
on their privacy page, in the verified chain. Staff see counts, never contents: an export is
downloaded by the user, once, from their page."""

from dataclasses import dataclass

from core import rls
from privacy import exports, services


@dataclass(frozen=True)
class Tool:
    name: str  # the admin action's name
    label: str  # what the admin's action menu says
    confirm: str  # what the confirmation page asks
    done: str  # the admin's message, with {count} users
    run: object  # run(user, by_staff) -> a short, value-free summary for the admin's history


def attribution(staff, reason: str) -> dict:
    """How a log row names the staff member: their id and username, and the reason they gave."""
    return {"id": staff.pk, "username": staff.get_username(), "reason": reason}


def _erase(user, by_staff) -> str:
    counts = services.delete_telemetry(user, by_staff=by_staff)
    return f"erased {counts['telemetry_events']} telemetry and {counts['file_events']} file events"


def _stop_monitoring(user, by_staff) -> str:
    services.update_prefs(user, {"monitoring_enabled": False}, by_staff=by_staff)
    return "monitoring turned off"


def _export(user, by_staff) -> str:
    export = exports.request(user, by_staff=by_staff)
    return f"export {export.pk} requested for the user to download"


TOOLS = {tool.name: tool for tool in [
    Tool("erase_telemetry", "Erase the telemetry of the selected users (erasure request)",
         "Erase every telemetry and file event of these users, now? This cannot be undone.",
         "Erased the telemetry of {count} user(s).", _erase),
    Tool("stop_monitoring", "Turn monitoring off for the selected users",
         "Turn monitoring off for these users? Their agents' batches are refused until they turn it on again.",
         "Turned monitoring off for {count} user(s).", _stop_monitoring),
    Tool("request_export", "Export the data of the selected users (for them to download)",
         "Build an export of these users' privacy data? Each user downloads theirs, once, from their privacy page; staff cannot.",
         "Requested an export for {count} user(s).", _export),
]}


def run(tool: Tool, user, staff, reason: str) -> str:
    """`tool` for `user` on behalf of `staff`, as the user (their own transaction block)."""
    with rls.end_user(rls.claims_for(user)):
        return tool.run(user, attribution(staff, reason))
