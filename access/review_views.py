"""Access review pages: the system's reviews, starting one, deciding, the evidence CSV."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from access import reviews, selectors
from access.forms import ReviewDecisionForm, ReviewStartForm
from access.models import AccessReview, AccessReviewItem, ReviewDecision
from access.services import AccessError
from access.views import system_in_org, tab_context
from integrations.pagerduty.roles import ROLE_CHOICES
from sprintolike.evidence import evidence_response
from tenants.access import get_in_org, org_view
from tenants.permissions import Action


def _may_start(request: HttpRequest, system) -> bool:
    return request.can.review_access or request.user.pk in {
        system.owner_id,
        system.review_delegate_id,
    }


@org_view(Action.VIEW)
def system_reviews(request: HttpRequest, system_id: int) -> HttpResponse:
    system = system_in_org(request, system_id)
    form = ReviewStartForm(request.POST or None, organization=request.organization)
    if request.method == "POST":
        if not _may_start(request, system):
            raise PermissionDenied("Only admins and the system's owner or delegate start reviews.")
        if form.is_valid():
            try:
                review = reviews.review_start(
                    system=system,
                    acting_user=request.user,
                    reviewer=form.cleaned_data["reviewer"],
                    due_on=form.cleaned_data["due_on"],
                )
            except AccessError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request, "Review started: the accounts are frozen as they are now."
                )
                return redirect("access:review_detail", request.organization.slug, review.pk)
    context = tab_context(
        request,
        system,
        "reviews",
        reviews=selectors.review_list(system=system),
        form=form,
        may_start=_may_start(request, system),
    )
    return render(
        request, "access/system_reviews.html", context, status=400 if form.errors else 200
    )


def _review_in_org(request: HttpRequest, review_id: int) -> AccessReview:
    return get_in_org(
        AccessReview.objects.select_related("system", "reviewer", "started_by"),
        organization=request.organization,
        pk=review_id,
    )


@org_view(Action.VIEW)
def review_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    review = _review_in_org(request, review_id)
    may_decide = review.is_open and reviews.reviewer_may_review(
        review=review, user=request.user, membership=request.membership
    )
    context = tab_context(
        request,
        review.system,
        "reviews",
        review=review,
        items=selectors.review_items(review=review),
        counts=selectors.review_counts(review=review),
        may_decide=may_decide,
        role_choices=ROLE_CHOICES,
        decision_choices=ReviewDecision.choices,
    )
    return render(request, "access/review_detail.html", context)


@require_POST
@org_view(Action.VIEW)
def review_item_decide(request: HttpRequest, review_id: int, item_id: int) -> HttpResponse:
    review = _review_in_org(request, review_id)
    if not reviews.reviewer_may_review(
        review=review, user=request.user, membership=request.membership
    ):
        raise PermissionDenied(
            "Only the reviewer, the system's owner or delegate, or an admin decides."
        )
    item = get_in_org(
        AccessReviewItem.objects.select_related("review__system"),
        organization=request.organization,
        pk=item_id,
        review=review,
    )
    form = ReviewDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose keep, revoke or downgrade.")
    else:
        try:
            reviews.review_item_decide(item=item, acting_user=request.user, **form.cleaned_data)
        except AccessError as error:
            messages.error(request, f"{item.email}: {error}")
        else:
            item.review.refresh_from_db()
            if item.review.completed_at:
                messages.success(
                    request,
                    "Every account is decided: the review is complete and its evidence stored.",
                )
    url = reverse("access:review_detail", args=[request.organization.slug, review.pk])
    return redirect(f"{url}#item-{item.pk}")


@org_view(Action.EXPORT_EVIDENCE)
def review_evidence(request: HttpRequest, review_id: int) -> HttpResponse:
    review = _review_in_org(request, review_id)
    if not review.evidence:
        raise Http404("The review is not complete.")
    return evidence_response(review.evidence, review.evidence.name.rsplit("/", 1)[-1])
