"""Pages of the tenants app: orgs, members, invitations, org roles, staff directory, audit log."""

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from sprintolike.pagination import paginate, querystring_without_page
from tenants import services
from tenants.access import get_in_org, org_view
from tenants.forms import (
    InvitationForm,
    MembershipRoleForm,
    OffboardForm,
    OrganizationForm,
    OrgRoleForm,
    StaffFilterForm,
    StaffImportForm,
    StaffMemberForm,
)
from tenants.models import Invitation, Membership, OrgRole, StaffMember, StaffStatus
from tenants.permissions import Action
from tenants.selectors import (
    audit_event_list,
    invitation_pending_list,
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
    return render(request, "tenants/org_create.html", {"form": form})


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


@org_view(Action.VIEW)
def dashboard(request: HttpRequest) -> HttpResponse:
    organization = request.organization
    request.session["last_org_slug"] = organization.slug
    staff_counts = organization.staff_members.aggregate(
        active=Count("id", filter=Q(status=StaffStatus.ACTIVE)),
        offboarded=Count("id", filter=Q(status=StaffStatus.OFFBOARDED)),
    )
    return render(
        request,
        "tenants/dashboard.html",
        {
            "staff_counts": staff_counts,
            "member_count": organization.memberships.count(),
            "recent_events": audit_event_list(organization=organization)[:8],
        },
    )


# --- Members and invitations -----------------------------------------------------------------


@org_view(Action.VIEW)
def member_list(request: HttpRequest) -> HttpResponse:
    organization = request.organization
    return render(
        request,
        "tenants/member_list.html",
        {
            "memberships": membership_list(organization=organization),
            "invitations": invitation_pending_list(organization=organization),
            "invitation_form": InvitationForm(),
            "role_form_class": MembershipRoleForm,
        },
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
        {
            "memberships": membership_list(organization=organization),
            "invitations": invitation_pending_list(organization=organization),
            "invitation_form": form,
        },
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


@org_view(Action.VIEW)
def staff_list(request: HttpRequest) -> HttpResponse:
    organization = request.organization
    filters = StaffFilterForm(request.GET or None, organization=organization)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    org_role = cleaned.get("org_role")
    staff = staff_member_list(
        organization=organization,
        search=cleaned.get("q", ""),
        status=cleaned.get("status", ""),
        org_role_id=org_role.pk if org_role else None,
    )
    return render(
        request,
        "tenants/staff_list.html",
        {
            "page": paginate(request, staff),
            "filters": filters,
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
        result = services.staff_import(
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


@org_view(Action.VIEW_AUDIT_LOG)
def audit_log(request: HttpRequest) -> HttpResponse:
    page = paginate(request, audit_event_list(organization=request.organization))
    return render(request, "tenants/audit_log.html", {"page": page})
