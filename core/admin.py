from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the system or by another service: staff read them, never edit them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
