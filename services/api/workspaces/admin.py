from django.contrib import admin

from workspaces.models import Invitation, Label, Membership, Project, Workspace


class MembershipInline(admin.TabularInline):
    model = Membership
    raw_id_fields = ("user",)
    extra = 0


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "created_at")
    search_fields = ("name",)
    inlines = [MembershipInline]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "workspace", "created_at")
    list_select_related = ("workspace",)
    search_fields = ("name",)
    raw_id_fields = ("workspace", "created_by")


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "color", "workspace")
    raw_id_fields = ("workspace",)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Open invitations (kept until accepted, declined, revoked, or replaced after expiry)."""

    list_display = ("id", "workspace", "invitee_id", "role", "invited_at", "expires_at")
    list_select_related = ("workspace",)
    list_filter = ("role",)
    search_fields = ("=invitee_id",)
    raw_id_fields = ("workspace", "invited_by")
