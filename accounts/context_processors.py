def end_user(request):
    return {"end_user": getattr(request, "end_user", None)}
