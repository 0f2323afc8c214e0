from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services, signals
from accounts.forms import LoginForm, SignUpForm
from accounts.middleware import sign_in_session, sign_out_session
from core.middleware import without_rls
from core.netaddr import client_ip


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


@without_rls
@require_http_methods(["GET", "POST"])
def login(request):
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = services.sign_in(form.cleaned_data["email"], form.cleaned_data["password"], client_ip(request))
        except services.SignInError as exc:
            form.add_error(None, exc.message)
            status = 429 if exc.code == "too_many_attempts" else 400
        else:
            sign_in_session(request, user)
            messages.success(request, f"Signed in as {user.email}.")
            return redirect(_next_url(request))
    elif request.method == "POST":
        status = 400
    return render(request, "accounts/login.html", {"form": form, "next": _next_url(request)}, status=status)


@without_rls
@require_http_methods(["GET", "POST"])
def signup(request):
    form = SignUpForm(request.POST or None)
    status = 200
    throttle = services.SignUpThrottle(client_ip(request))
    if request.method == "POST" and throttle.blocked():
        form.add_error(None, "Too many sign-ups from your address. Try again later.")
        status = 429
    elif request.method == "POST" and form.is_valid():
        throttle.fail()  # every attempt counts
        try:
            user = services.sign_up(form.cleaned_data["email"], form.cleaned_data["password"])
        except services.SignInError as exc:
            form.add_error("email", exc.message)
            status = 400
        else:
            sign_in_session(request, user)
            messages.success(request, "Welcome! Your account is ready.")
            return redirect("/")
    elif request.method == "POST":
        status = 400
    return render(request, "accounts/signup.html", {"form": form}, status=status)


@without_rls
@require_POST
def logout(request):
    if getattr(request, "end_user", None) is not None:
        signals.logged_out.send(type(request.end_user), user=request.end_user, scope="local")
    sign_out_session(request)
    messages.info(request, "You are signed out.")
    return redirect("accounts:login")
