"""Pages: my organizations (create one, pick the active one), an organization's settings (its name,
members, roles and invitations: invite, revoke, change a role, remove, leave, delete), and the invite
link's page that joins the signed-in addressee."""

from django.contrib import messages
from django.db import IntegrityError
from django.db.models import CharField, Func
from django.db.models import F as Field
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from core.pages import end_user_required, refusal
from organizations import access, menu, services
from organizations.forms import InviteForm, OrganizationEditForm, OrganizationForm, RoleForm
from organizations.models import Invitation, Membership, RoleDefinition


def _membership(request, organization_id) -> Membership:
    """The signed-in user's membership of the organization in the URL; 404 for anyone else."""
    try:
        return access.active_membership(request, request.end_user, organization_id)
    except (access.NotAMember, access.BadOrganizationId):
        raise Http404("No such organization.") from None


def _settings(organization_id):
    return redirect("organizations:detail", organization_id=organization_id)


@end_user_required
@require_http_methods(["GET", "POST"])
def organization_list(request):
    form = OrganizationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                organization = services.create_organization(request.end_user, form.cleaned_data["name"])
            except services.OrganizationError as exc:
                form.add_error(exc.field, exc.message)
            else:
                messages.success(request, f"Organization “{organization.name}” created. You are its owner.")
                access.choose(request, services.membership(request.end_user, organization.pk))
                menu.refresh(request)
                return _settings(organization.pk)
        status = 400
    memberships = list(services.memberships(request.end_user))
    menu.remember(request, memberships)
    active = access.active_membership(request, request.end_user)
    return render(request, "organizations/organization_list.html",
                  {"memberships": memberships, "form": form, "active": active}, status=status)


@end_user_required
@require_POST
def switch(request):
    """The header's switcher: make an organization of mine the active one."""
    chosen = _membership(request, request.POST.get("organization_id", ""))
    access.choose(request, chosen)
    menu.refresh(request)
    messages.info(request, f"Now working in “{chosen.organization.name}”.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = reverse("organizations:list")
    return redirect(target)


def _detail_context(request, mine: Membership, **extra):
    email = Func(Field("organization_id"), Field("user_id"), function="public.member_email", output_field=CharField())
    members = Membership.objects.filter(organization_id=mine.organization_id).annotate(email=email).order_by("created_at", "id")
    context = {
        "organization": mine.organization,
        "mine": mine,
        "members": members,
        "roles": RoleDefinition.objects.all(),
        "manages": services.can_manage(mine.role),
        "is_owner": mine.role == "owner",
        "role_choices": RoleForm.base_fields["role"].choices,
        "edit_form": extra.pop("edit_form", None) or OrganizationEditForm(instance=mine.organization),
        "invite_form": extra.pop("invite_form", None) or InviteForm(),
    }
    if context["manages"]:
        context["invitations"] = Invitation.objects.pending().filter(organization_id=mine.organization_id)
    return context | extra


@end_user_required
@require_http_methods(["GET", "POST"])
def organization_detail(request, organization_id):
    """The settings page; a POST saves the name and slug (admins and owners)."""
    mine = _membership(request, organization_id)
    status = 200
    edit_form = None
    if request.method == "POST":
        if not services.can_manage(mine.role):
            return _refuse(request, mine, "Only the organization's admins and owners change it.")
        edit_form = OrganizationEditForm(request.POST, instance=mine.organization)
        if edit_form.is_valid():
            try:
                edit_form.save()
            except IntegrityError:
                edit_form.add_error("slug", services.SLUG_TAKEN[1])
            else:
                messages.success(request, "Saved.")
                menu.refresh(request)
                return _settings(mine.organization_id)
        status = 400
    if request.method == "GET":
        menu.refresh(request)
    return render(request, "organizations/organization_detail.html", _detail_context(request, mine, edit_form=edit_form), status=status)


def _refuse(request, mine, message, status=403):
    return render(request, "organizations/organization_detail.html", _detail_context(request, mine, error=message), status=status)


def _refused(request, mine, exc: services.OrganizationError):
    status = 403 if exc.code == "forbidden" else 409
    return _refuse(request, mine, exc.message, status)


@end_user_required
@require_POST
def invite(request, organization_id):
    mine = _membership(request, organization_id)
    if not services.can_manage(mine.role):
        return _refuse(request, mine, "Only the organization's admins and owners invite.")
    form = InviteForm(request.POST)
    if not form.is_valid():
        return render(request, "organizations/organization_detail.html", _detail_context(request, mine, invite_form=form), status=400)
    try:
        invited = services.invite(mine, form.cleaned_data["email"], form.cleaned_data["role"])
    except services.OrganizationError as exc:
        return _refused(request, mine, exc)
    # The link is shown once, here: only its hash is stored (and never in a flash message's cookie).
    link = request.build_absolute_uri(services.invite_path(invited.token))
    return render(request, "organizations/organization_detail.html",
                  _detail_context(request, mine, invited=invited.invitation, invite_link=link), status=201)


@end_user_required
@require_POST
def revoke_invitation(request, organization_id, invitation_id):
    mine = _membership(request, organization_id)
    if not services.can_manage(mine.role):
        return _refuse(request, mine, "Only the organization's admins and owners revoke invitations.")
    invitation = get_object_or_404(Invitation.objects.for_user(request.end_user), pk=invitation_id, organization_id=mine.organization_id)
    invitation.delete()
    messages.success(request, f"The invitation of {invitation.email} is revoked.")
    return _settings(mine.organization_id)


def _member(request, mine, member_id) -> Membership:
    return get_object_or_404(Membership.objects.for_user(request.end_user).select_related("organization"),
                             pk=member_id, organization_id=mine.organization_id)


@end_user_required
@require_POST
def change_role(request, organization_id, member_id):
    mine = _membership(request, organization_id)
    target = _member(request, mine, member_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _refuse(request, mine, "Pick one of the roles.", 400)
    try:
        services.change_role(mine, target, form.cleaned_data["role"])
    except services.OrganizationError as exc:
        return _refused(request, mine, exc)
    messages.success(request, "Role changed.")
    return _settings(mine.organization_id)


@end_user_required
@require_POST
def remove_member(request, organization_id, member_id):
    """Remove a member, or leave (one's own membership)."""
    mine = _membership(request, organization_id)
    target = _member(request, mine, member_id)
    try:
        services.remove(mine, target)
    except services.OrganizationError as exc:
        return _refused(request, mine, exc)
    menu.refresh(request)
    if target.pk == mine.pk:
        messages.success(request, f"You left “{mine.organization.name}”.")
        return redirect("organizations:list")
    messages.success(request, "Member removed.")
    return _settings(mine.organization_id)


@end_user_required
@require_POST
def delete_organization(request, organization_id):
    mine = _membership(request, organization_id)
    try:
        services.delete_organization(mine)
    except services.OrganizationError as exc:
        return _refused(request, mine, exc)
    menu.refresh(request)
    messages.success(request, f"Organization “{mine.organization.name}” deleted.")
    return redirect("organizations:list")


@require_http_methods(["GET", "POST"])
def join(request, token):
    """The invite link. Signed out: sign in or sign up first (and come back here). Signed in: a POST
    joins the organization when the invitation is open and addressed to this user's email."""
    if getattr(request, "end_user", None) is None:
        return render(request, "organizations/join.html", {"signed_out": True, "next": request.get_full_path()})
    answer = refusal(request)  # a step the session still owes (MFA)
    if answer is not None:
        return answer
    if request.method == "POST":
        try:
            joined = services.accept(request.end_user, token)
        except services.OrganizationError as exc:
            return render(request, "organizations/join.html", {"error": exc.message}, status=404 if exc.code == "invitation_invalid" else 403)
        access.choose(request, joined)
        menu.refresh(request)
        messages.success(request, f"You joined “{joined.organization.name}” as {joined.get_role_display().lower()}.")
        return _settings(joined.organization_id)
    return render(request, "organizations/join.html", {})
