"""Link workers' pages: caseload, enrolment, participant, questionnaires, groups, ratings."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from linkwork import instruments
from linkwork.web.access import participants_for, profile_of, role_required, site_of
from linkwork.web.export import participant_scores
from linkwork.web.forms import (
    EnrolForm,
    GroupMembershipForm,
    QuestionnaireForm,
    ReferralStatusForm,
    RelationshipForm,
)
from linkwork.web.models import (
    Assessment,
    Participant,
    ParticipantIdentity,
    Referral,
    ReferralStatus,
    RelationshipRating,
)
from linkwork.web.waves import schedule

__all__ = [
    "assess",
    "caseload",
    "enrol",
    "group_new",
    "home",
    "participant",
    "rate",
    "referral_status",
]

STAFF = ("link_worker", "admin")


def _participant(request: HttpRequest, code: str) -> Participant:
    # Every participant URL goes through the caller's scope: another site's code is a 404.
    return get_object_or_404(participants_for(request.user), code=code)


def _done(participant: Participant) -> set[str]:
    return set(participant.assessment_set.values_list("wave", flat=True))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its start page."""
    profile = profile_of(request.user)
    if profile is not None and profile.role == "evaluator":
        return redirect("evaluation")
    if profile is not None and profile.role in STAFF:
        return redirect("caseload")
    return render(request, "web/no_role.html", status=403)


@role_required(*STAFF)
def caseload(request: HttpRequest) -> HttpResponse:
    """Follow-ups due, overdue and missed for the user's site."""
    today = timezone.localdate()
    lists: dict[str, list[tuple[Participant, object]]] = {"due": [], "overdue": [], "missed": []}
    people = participants_for(request.user).prefetch_related("assessment_set")
    for person in people:
        done = {a.wave for a in person.assessment_set.all()}
        for wave in schedule(person.enrolled_on, today, done):
            if wave.status in lists:
                lists[wave.status].append((person, wave))
    context = {"lists": lists, "count": len(people), "site": site_of(request.user)}
    return render(request, "web/caseload.html", context)


@role_required(*STAFF)
def enrol(request: HttpRequest) -> HttpResponse:
    """Enrol a participant at the user's own site (never a site from the form)."""
    site = site_of(request.user)
    if site is None:
        messages.error(request, "Only users with a site can enrol participants.")
        return redirect("caseload")
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            person = Participant.objects.create(
                code=data["code"],
                site=site,
                enrolled_on=data["enrolled_on"],
                link_worker=request.user,
                link_worker_code=request.user.get_username(),
                age=data["age"],
                gender=data["gender"],
            )
            ParticipantIdentity.objects.create(
                participant=person,
                **{k: data[k] or "" for k in ("name", "nhs_number", "phone")},
                date_of_birth=data["date_of_birth"],
            )
            referral = Referral.objects.create(
                participant=person,
                practice=data["practice"],
                referred_on=data["referred_on"],
                reasons=data["reasons"],
            )
            ReferralStatus.objects.create(
                referral=referral, status="received", at=timezone.now(), by=request.user
            )
        messages.success(request, f"Enrolled {person.code}.")
        return redirect("participant", code=person.code)
    return render(request, "web/form.html", {"form": form, "title": "Enrol a participant"})


@role_required(*STAFF)
def participant(request: HttpRequest, code: str) -> HttpResponse:
    """A participant: identity (own site only), referral, groups, waves and scores."""
    person = _participant(request, code)
    scores = participant_scores(person)
    table = scores.pivot_table(index="instrument", columns="wave", values="score", aggfunc="first")
    waves = [w["label"] for w in settings.LINKWORK_WAVES]
    rows = [
        (name, [table.at[name, w] if w in table.columns else None for w in waves])
        for name in table.index
    ]
    context = {
        "person": person,
        "identity": ParticipantIdentity.objects.filter(participant=person).first(),
        "referrals": person.referrals.prefetch_related("statuses"),
        "memberships": person.memberships.select_related("service", "facilitator"),
        "schedule": schedule(person.enrolled_on, timezone.localdate(), _done(person)),
        "assessments": person.assessment_set.all(),
        "waves": waves,
        "scores": rows,
        "instruments": settings.LINKWORK_INSTRUMENTS,
        "status_form": ReferralStatusForm(),
    }
    return render(request, "web/participant.html", context)


@require_POST
@role_required(*STAFF)
def referral_status(request: HttpRequest, code: str, referral: str) -> HttpResponse:
    """Add a status to a referral of a participant in scope."""
    person = _participant(request, code)
    target = get_object_or_404(Referral, pk=referral, participant=person)
    form = ReferralStatusForm(request.POST)
    if form.is_valid():
        ReferralStatus.objects.create(
            referral=target, status=form.cleaned_data["status"], at=timezone.now(), by=request.user
        )
        messages.success(request, "Referral status recorded.")
    else:
        messages.error(request, "Choose a valid status.")
    return redirect("participant", code=person.code)


@role_required(*STAFF)
def assess(request: HttpRequest, code: str, instrument: str) -> HttpResponse:
    """A questionnaire generated from the instrument's spec, validated by it."""
    person = _participant(request, code)
    if instrument not in instruments.REGISTRY:
        raise Http404("unknown instrument")
    initial = {"wave": request.GET.get("wave"), "completed_on": timezone.localdate()}
    form = QuestionnaireForm(instrument, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                Assessment.objects.create(
                    participant=person,
                    instrument=instrument,
                    wave=form.cleaned_data["wave"],
                    completed_on=form.cleaned_data["completed_on"],
                    mode=form.cleaned_data["mode"],
                    responses=form.responses(),
                    entered_by=request.user,
                )
        except IntegrityError:
            form.add_error("wave", f"{instrument} is already recorded for this wave.")
        else:
            messages.success(request, f"{instrument} recorded for {form.cleaned_data['wave']}.")
            return redirect("participant", code=person.code)
    spec = instruments.get(instrument)
    title = f"{spec.title} for {person.code}"
    return render(request, "web/form.html", {"form": form, "title": title, "spec": spec})


@role_required(*STAFF)
def group_new(request: HttpRequest, code: str) -> HttpResponse:
    """Refer the participant to a group."""
    person = _participant(request, code)
    form = GroupMembershipForm(request.POST or None)
    form.instance.participant = person
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Group referral recorded.")
        return redirect("participant", code=person.code)
    return render(request, "web/form.html", {"form": form, "title": f"Group for {person.code}"})


@role_required(*STAFF)
def rate(request: HttpRequest, code: str, target: str) -> HttpResponse:
    """A relationship rating of the link worker or of a group's facilitator."""
    person = _participant(request, code)
    if target not in RelationshipRating.Target.values:
        raise Http404("unknown rating target")
    form = RelationshipForm(person, target, request.POST or None)
    if request.method == "POST" and form.is_valid():
        RelationshipRating.objects.create(
            participant=person,
            target=target,
            membership=form.cleaned_data.get("membership"),
            wave=form.cleaned_data["wave"],
            completed_on=form.cleaned_data["completed_on"],
            mode=form.cleaned_data["mode"],
            responses=form.responses(),
            entered_by=request.user,
        )
        messages.success(request, "Rating recorded.")
        return redirect("participant", code=person.code)
    title = f"Rating of the {RelationshipRating.Target(target).label.lower()} for {person.code}"
    return render(request, "web/form.html", {"form": form, "title": title})
