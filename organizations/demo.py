"""Demo data of organizations (`manage.py load_demo`, `core.demo`): a shared organization owned by
the demo user, with a second demo person as a member (who can sign in too) and an open invitation."""

from accounts import services as accounts
from core import demo
from organizations import services
from organizations.models import Invitation, Membership, Organization, Role

ORGANIZATION = {"name": "Demo Co", "slug": "demo-co"}
# Who else is in it, declared: (email, password, full name, role).
MEMBERS = [("demo.colleague@example.com", "demo-colleague-2026", "Demo Colleague", Role.MEMBER)]
INVITED = ("demo.invitee@example.com", Role.VIEWER)


@demo.provider("organizations")
def load(user, say):
    organization, _ = Organization.objects.get_or_create(slug=ORGANIZATION["slug"], defaults={"name": ORGANIZATION["name"]})
    owner, _ = Membership.objects.get_or_create(organization=organization, user=user, defaults={"role": Role.OWNER})
    for email, password, name, role in MEMBERS:
        person = accounts.find_by_email(email) or accounts.sign_up(email, password, {"full_name": name})
        Membership.objects.update_or_create(organization=organization, user=person, defaults={"role": role})
        say(f"{email} / {password}: {role} of “{organization.name}”.")
    email, role = INVITED
    if not Invitation.objects.pending().filter(organization=organization, email=email).exists():
        services.invite(owner, email, role)  # its link is not shown: a real invitee gets theirs by mail
    say(f"“{organization.name}” (slug {organization.slug}): {organization.members.count()} members, "
        f"an open invitation of {email} as {role}.")
