"""Pages of the tenants app: orgs, members, invitations, org roles, staff directory, audit log."""

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db.models import Case, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from sprintolike.csv_stream import csv_streaming_response
from sprintolike.pagination import paginate, querystring_without_page
from sprintolike.sorting import sorting_from_request
from tenants import services
from tenants import staff_import as staff_csv
from tenants.access import get_in_org, org_view
from tenants.audit import audit_entries, audit_log_csv_rows
from tenants.dashboard import dashboard_panels, setup_checklist
from tenants.forms import (
    AuditLogFilterForm,
    InvitationForm,
    MembershipRoleForm,
    OffboardForm,
    OrganizationForm,
    OrgRoleForm,
    StaffFilterForm,
    StaffImportForm,
    StaffMemberForm,
)
from tenants.models import Invitation, Membership, OrgRole, Role, StaffMember
from tenants.permissions import Action
from tenants.selectors import (
    audit_action_choices,
    audit_actor_choices,
    audit_event_list,
    invitation_pending_list,
    invitation_pending_list_for_user,
    membership_list,
    membership_list_for_user,
    org_role_list,
    staff_member_list,
)


def home(request: HttpRequest) -> HttpResponse:
    """Send a signed-in user to their organisation, or to create one when they have none."""
    if not request.user.is_authenticated:
        return redirect("account_login")
    memberships = membership_list_for_user(user=request.user)
    if not memberships:
        return redirect("org_create")
    last_slug = request.session.get("last_org_slug")
    slug = next(
        (m.organization.slug for m in memberships if m.organization.slug == last_slug),
        memberships[0].organization.slug,
    )
    return redirect("tenants:dashboard", org_slug=slug)


@login_required
def org_create(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organization = services.organization_create(
            name=form.cleaned_data["name"], owner=request.user
        )
        messages.success(request, f"Created {organization.name}. You are its owner.")
        return redirect("tenants:dashboard", org_slug=organization.slug)
    return render(
        request,
        "tenants/org_create.html",
        {
            "form": form,
            "pending_invitations": invitation_pending_list_for_user(user=request.user),
        },
    )


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render(request, "tenants/invitation_invalid.html", status=404)
    if invitation.status != "pending":
        return render(
            request, "tenants/invitation_invalid.html", {"invitation": invitation}, status=410
        )
    if not request.user.is_authenticated:
        # The link arrived by email, so whoever signs up with that address has proven it.
        get_adapter(request).stash_verified_email(request, invitation.email)
        return render(request, "tenants/invitation_accept.html", {"invitation": invitation})
    if request.method == "POST":
        try:
            membership = services.invitation_accept(invitation=invitation, user=request.user)
        except services.TenantError as error:
            messages.error(request, str(error))
            return render(
                request, "tenants/invitation_accept.html", {"invitation": invitation}, status=400
            )
        messages.success(request, f"Welcome to {membership.organization.name}.")
        return redirect("tenants:dashboard", org_slug=membership.organization.slug)
    return render(request, "tenants/invitation_accept.html", {"invitation": invitation})


@require_POST
@login_required
def invitation_accept_signed_in(request: HttpRequest, invitation_id: int) -> HttpResponse:
    """Accept from the banner: only an invitation waiting for one of the user's verified addresses."""
    invitation = (
        invitation_pending_list_for_user(user=request.user).filter(pk=invitation_id).first()
    )
    if invitation is None:
        raise Http404("No such invitation is waiting for you.")
    try:
        membership = services.invitation_accept(invitation=invitation, user=request.user)
    except services.TenantError as error:
        messages.error(request, str(error))
        return redirect("home")
    messages.success(request, f"Welcome to {membership.organization.name}.")
    return redirect("tenants:dashboard", org_slug=membership.organization.slug)


@org_view(Action.VIEW)
def dashboard(request: HttpRequest) -> HttpResponse:
    """The organisation's posture: setup checklist, then the panels the apps registered
    (tenants.dashboard), then recent activity."""
    organization = request.organization
    request.session["last_org_slug"] = organization.slug
    checklist = setup_checklist(organization)
    return render(
        request,
        "tenants/dashboard.html",
        {
            "checklist": checklist,
            "checklist_done": sum(1 for state in checklist if state.done),
            "panels": dashboard_panels(request),
            "recent_entries": audit_entries(audit_event_list(organization=organization)[:6]),
            "pending_invitations": invitation_pending_list_for_user(user=request.user),
        },
    )


# --- Members and invitations -----------------------------------------------------------------


MEMBER_SORT_COLUMNS = {
    "email": "user__email",
    "role": (
        Case(
            When(role=Role.OWNER, then=Value(0)),
            When(role=Role.ADMIN, then=Value(1)),
            default=Value(2),
        ),
        "user__email",
    ),
    "since": "created_at",
}


def _member_list_context(request: HttpRequest, invitation_form: InvitationForm) -> dict:
    sorting = sorting_from_request(request, columns=MEMBER_SORT_COLUMNS, default="email")
    return {
        "memberships": membership_list(
            organization=request.organization, order_by=sorting.order_by()
        ),
        "sorting": sorting,
        "invitations": invitation_pending_list(organization=request.organization),
        "invitation_form": invitation_form,
    }


@org_view(Action.VIEW)
def member_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "tenants/member_list.html", _member_list_context(request, InvitationForm())
    )


@org_view(Action.INVITE_MEMBERS)
def invitation_create(request: HttpRequest) -> HttpResponse:
    organization = request.organization
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, token = services.invitation_create(
                organization=organization,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
            )
        except services.TenantError as error:
            form.add_error("email", str(error))
        else:
            link = request.build_absolute_uri(reverse("invitation_accept", args=[token]))
            send_mail(
                subject=f"You are invited to {organization.name} on Sprintolike",
                message=(
                    f"{request.user.email} invited you to join {organization.name} as "
                    f"{invitation.get_role_display()}.\n\nAccept within 7 days: {link}\n"
                ),
                from_email=None,
                recipient_list=[invitation.email],
            )
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("tenants:member_list", org_slug=organization.slug)
    return render(
        request,
        "tenants/member_list.html",
        _member_list_context(request, form),
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@org_view(Action.INVITE_MEMBERS)
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = get_in_org(
        Invitation.objects.pending(), organization=request.organization, pk=invitation_id
    )
    services.invitation_revoke(invitation=invitation, acting_user=request.user)
    messages.success(request, f"Invitation for {invitation.email} revoked.")
    return redirect("tenants:member_list", org_slug=request.organization.slug)


@require_POST
@org_view(Action.MANAGE_MEMBERS)
def membership_role_change(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = get_in_org(
        Membership.objects.select_related("user"),
        organization=request.organization,
        pk=membership_id,
    )
    form = MembershipRoleForm(request.POST)
    if form.is_valid():
        try:
            services.membership_role_change(
                membership=membership, role=form.cleaned_data["role"], acting_user=request.user
            )
            messages.success(
                request, f"{membership.user.email} is now {form.cleaned_data['role']}."
            )
        except services.TenantError as error:
            messages.error(request, str(error))
    else:
        messages.error(request, "Choose a valid role.")
    return redirect("tenants:member_list", org_slug=request.organization.slug)


@require_POST
@org_view(Action.MANAGE_MEMBERS)
def membership_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = get_in_org(
        Membership.objects.select_related("user"),
        organization=request.organization,
        pk=membership_id,
    )
    try:
        services.membership_remove(membership=membership, acting_user=request.user)
        messages.success(request, f"{membership.user.email} was removed.")
    except services.TenantError as error:
        messages.error(request, str(error))
    if (
        membership.user_id == request.user.id
        and not Membership.objects.filter(pk=membership.pk).exists()
    ):
        return redirect("home")
    return redirect("tenants:member_list", org_slug=request.organization.slug)


# --- Org roles ---------------------------------------------------------------------------------


@org_view(Action.VIEW)
def org_role_list_view(request: HttpRequest) -> HttpResponse:
    form = OrgRoleForm(request.POST or None)
    if request.method == "POST":
        if not request.can.manage_org_roles:
            raise PermissionDenied("Your role in this organisation does not allow this.")
        if form.is_valid():
            try:
                services.org_role_create(
                    organization=request.organization,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    acting_user=request.user,
                )
            except services.TenantError as error:
                form.add_error("name", str(error))
            else:
                messages.success(request, f"Org role “{form.cleaned_data['name']}” added.")
                return redirect("tenants:org_role_list", org_slug=request.organization.slug)
    return render(
        request,
        "tenants/org_role_list.html",
        {"org_roles": org_role_list(organization=request.organization), "form": form},
        status=400 if form.errors else 200,
    )


@org_view(Action.MANAGE_ORG_ROLES)
def org_role_edit(request: HttpRequest, org_role_id: int) -> HttpResponse:
    org_role = get_in_org(OrgRole.objects, organization=request.organization, pk=org_role_id)
    form = OrgRoleForm(request.POST or None, instance=org_role)
    if request.method == "POST" and form.is_valid():
        try:
            services.org_role_update(
                org_role=org_role,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                acting_user=request.user,
            )
        except services.TenantError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, "Org role saved.")
            return redirect("tenants:org_role_list", org_slug=request.organization.slug)
    return render(request, "tenants/org_role_form.html", {"form": form, "org_role": org_role})


@require_POST
@org_view(Action.MANAGE_ORG_ROLES)
def org_role_delete(request: HttpRequest, org_role_id: int) -> HttpResponse:
    org_role = get_in_org(OrgRole.objects, organization=request.organization, pk=org_role_id)
    services.org_role_delete(org_role=org_role, acting_user=request.user)
    messages.success(request, f"Org role “{org_role.name}” deleted.")
    return redirect("tenants:org_role_list", org_slug=request.organization.slug)


# --- Staff directory ---------------------------------------------------------------------------


STAFF_SORT_COLUMNS = {
    "name": "name",
    "email": "email",
    "org_role": ("org_role__name", "name"),
    "status": ("status", "name"),
    "start_date": "start_date",
    "last_working_day": "last_working_day",
}


@org_view(Action.VIEW)
def staff_list(request: HttpRequest) -> HttpResponse:
    organization = request.organization
    filters = StaffFilterForm(request.GET or None, organization=organization)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    org_role = cleaned.get("org_role")
    sorting = sorting_from_request(request, columns=STAFF_SORT_COLUMNS, default="name")
    staff = staff_member_list(
        organization=organization,
        search=cleaned.get("q", ""),
        status=cleaned.get("status", ""),
        org_role_id=org_role.pk if org_role else None,
        order_by=sorting.order_by(),
    )
    return render(
        request,
        "tenants/staff_list.html",
        {
            "page": paginate(request, staff),
            "filters": filters,
            "sorting": sorting,
            "filtered": any(cleaned.get(name) for name in ("q", "status", "org_role")),
            "querystring": querystring_without_page(request),
        },
    )


@org_view(Action.MANAGE_STAFF)
def staff_create(request: HttpRequest) -> HttpResponse:
    form = StaffMemberForm(request.POST or None, organization=request.organization)
    if request.method == "POST" and form.is_valid():
        staff_member = services.staff_member_save(
            staff_member=form.save(commit=False),
            acting_user=request.user,
            alternate_emails=form.cleaned_data["alternate_emails"],
        )
        messages.success(request, f"{staff_member.name} added to the staff directory.")
        return redirect("tenants:staff_list", org_slug=request.organization.slug)
    return render(
        request, "tenants/staff_form.html", {"form": form}, status=400 if form.errors else 200
    )


@org_view(Action.MANAGE_STAFF)
def staff_edit(request: HttpRequest, staff_id: int) -> HttpResponse:
    staff_member = get_in_org(StaffMember.objects, organization=request.organization, pk=staff_id)
    form = StaffMemberForm(
        request.POST or None, instance=staff_member, organization=request.organization
    )
    if request.method == "POST" and form.is_valid():
        services.staff_member_save(
            staff_member=form.save(commit=False),
            acting_user=request.user,
            alternate_emails=form.cleaned_data["alternate_emails"],
        )
        messages.success(request, f"{staff_member.name} saved.")
        return redirect("tenants:staff_list", org_slug=request.organization.slug)
    return render(
        request,
        "tenants/staff_form.html",
        {"form": form, "staff_member": staff_member},
        status=400 if form.errors else 200,
    )


@org_view(Action.MANAGE_STAFF)
def staff_offboard(request: HttpRequest, staff_id: int) -> HttpResponse:
    staff_member = get_in_org(StaffMember.objects, organization=request.organization, pk=staff_id)
    form = OffboardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_member_offboard(
                staff_member=staff_member,
                last_working_day=form.cleaned_data["last_working_day"],
                acting_user=request.user,
            )
        except services.TenantError as error:
            form.add_error("last_working_day", str(error))
        else:
            messages.success(request, f"{staff_member.name} is offboarded.")
            return redirect("tenants:staff_list", org_slug=request.organization.slug)
    return render(
        request,
        "tenants/staff_offboard.html",
        {"form": form, "staff_member": staff_member},
        status=400 if form.errors else 200,
    )


@org_view(Action.MANAGE_STAFF)
def staff_import(request: HttpRequest) -> HttpResponse:
    form = StaffImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = staff_csv.staff_import(
            organization=request.organization,
            content=form.cleaned_data["file"].read(),
            create_missing_org_roles=form.cleaned_data["create_missing_org_roles"],
            acting_user=request.user,
        )
        if result.ok:
            messages.success(
                request,
                f"Imported staff: {result.created} added, {result.updated} updated"
                + (
                    f", org roles created: {', '.join(result.org_roles_created)}."
                    if result.org_roles_created
                    else "."
                ),
            )
            return redirect("tenants:staff_list", org_slug=request.organization.slug)
    failed = bool(form.errors) or (result is not None and not result.ok)
    return render(
        request,
        "tenants/staff_import.html",
        {"form": form, "result": result},
        status=400 if failed else 200,
    )


AUDIT_SORT_COLUMNS = {
    "when": "created_at",
    "actor": ("actor__email", "created_at"),
    "action": ("action", "created_at"),
}


def _audit_log_query(request: HttpRequest) -> tuple[AuditLogFilterForm, dict]:
    """The filter form and the selector arguments it yields (none when it is invalid)."""
    organization = request.organization
    form = AuditLogFilterForm(
        request.GET,
        actions=audit_action_choices(organization=organization),
        actors=audit_actor_choices(organization=organization),
    )
    if not form.is_valid():
        return form, {}
    actor = form.cleaned_data["actor"]
    return form, {
        "action": form.cleaned_data["action"],
        "actor_id": int(actor) if actor and actor != form.SYSTEM else None,
        "system_only": actor == form.SYSTEM,
        "start": form.cleaned_data["start"],
        "end": form.cleaned_data["end"],
    }


@org_view(Action.MANAGE_STAFF)
def staff_import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        staff_csv.staff_import_template(), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="staff-import-template.csv"'
    return response


@org_view(Action.VIEW_AUDIT_LOG)
def audit_log(request: HttpRequest) -> HttpResponse:
    form, filters = _audit_log_query(request)
    sorting = sorting_from_request(request, columns=AUDIT_SORT_COLUMNS, default="-when")
    events = audit_event_list(
        organization=request.organization, order_by=sorting.order_by(), **filters
    )
    page = paginate(request, events)
    export_query = request.GET.copy()
    export_query.pop("page", None)
    return render(
        request,
        "tenants/audit_log.html",
        {
            "page": page,
            "entries": audit_entries(page.object_list),
            "filters": form,
            "filtered": any(filters.values()),
            "sorting": sorting,
            "querystring": querystring_without_page(request),
            "export_querystring": export_query.urlencode(),
        },
        status=400 if form.errors else 200,
    )


@org_view(Action.VIEW_AUDIT_LOG)
def audit_log_export(request: HttpRequest) -> HttpResponse:
    """The filtered log as CSV, streamed so a log of any length keeps memory flat."""
    organization = request.organization
    form, filters = _audit_log_query(request)
    if form.errors:
        return redirect(
            f"{reverse('tenants:audit_log', args=[organization.slug])}?{request.GET.urlencode()}"
        )
    sorting = sorting_from_request(request, columns=AUDIT_SORT_COLUMNS, default="-when")
    events = audit_event_list(organization=organization, order_by=sorting.order_by(), **filters)
    return csv_streaming_response(
        rows=audit_log_csv_rows(events), filename=f"audit-log-{organization.slug}.csv"
    )
