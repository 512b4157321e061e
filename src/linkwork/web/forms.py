"""Forms. Questionnaire forms are generated from the instrument specs; validation of every
response goes through the spec (:func:`linkwork.web.models.validate_responses`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone

from linkwork import instruments
from linkwork.instruments import InstrumentSpec
from linkwork.web import throttle
from linkwork.web.models import (
    Facilitator,
    GroupMembership,
    Mode,
    Participant,
    ReferralStatus,
    RelationshipRating,
    Service,
    validate_responses,
)

__all__ = [
    "EnrolForm",
    "GroupMembershipForm",
    "QuestionnaireForm",
    "ReferralStatusForm",
    "RelationshipForm",
    "ThrottledLoginForm",
]


class ThrottledLoginForm(AuthenticationForm):
    """Django's login form, refused after too many recent failures for the username or IP."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        ip = throttle.client_ip(self.request)
        if throttle.blocked(username, ip):
            raise forms.ValidationError(
                "Too many failed sign-in attempts. Wait 15 minutes and try again.",
                code="throttled",
            )
        try:
            return super().clean()
        except forms.ValidationError:
            throttle.record_failure(username, ip)
            raise


class EnrolForm(forms.Form):
    """Enrol a participant: pseudonymous code, identity (kept apart) and the referral.

    The site is never taken from the form: it is the link worker's own.
    """

    code = forms.RegexField(regex=r"^[A-Za-z0-9_-]{1,32}$", help_text="Pseudonymous code.")
    enrolled_on = forms.DateField(initial=timezone.localdate, widget=forms.DateInput())
    age = forms.IntegerField(min_value=0, max_value=120, required=False)
    gender = forms.CharField(max_length=32, required=False)
    name = forms.CharField(max_length=200, required=False)
    date_of_birth = forms.DateField(required=False)
    nhs_number = forms.RegexField(regex=r"^\d{10}$", required=False)
    phone = forms.CharField(max_length=40, required=False)
    practice = forms.CharField(max_length=200, label="Referring practice")
    referred_on = forms.DateField()
    reasons = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def clean_code(self) -> str:
        code = str(self.cleaned_data["code"])
        if Participant.objects.filter(code=code).exists():
            raise forms.ValidationError("This code is already in use.")
        return code


class ReferralStatusForm(forms.Form):
    """Add a step to a referral's history."""

    status = forms.ChoiceField(choices=ReferralStatus.Status.choices)


def _item_field(spec: InstrumentSpec, item: instruments.Item) -> forms.Field:
    r = spec.response
    label = item.text or item.label
    if r.integer and r.bounded and r.max - r.min <= 10:
        labels = dict(r.labels)
        choices = [
            (str(int(v)), f"{int(v)}" + (f" {labels[v]}" if v in labels else ""))
            for v in range(int(r.min), int(r.max) + 1)
        ]
        widget: forms.Widget = forms.RadioSelect(choices=choices)
    else:
        attrs = {"inputmode": "numeric" if r.integer else "decimal"}
        widget = forms.TextInput(attrs=attrs)
    # A CharField: the spec, not the widget, decides what is valid (see clean()).
    return forms.CharField(label=label, required=False, widget=widget, help_text=r.describe())


class _Responses(forms.Form):
    wave = forms.ChoiceField(choices=())
    completed_on = forms.DateField(initial=timezone.localdate)
    mode = forms.ChoiceField(choices=Mode.choices)

    instrument: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        waves = [(w["label"], w["label"]) for w in settings.LINKWORK_WAVES]
        self.fields["wave"].choices = waves

    def add_items(self, spec: InstrumentSpec) -> None:
        self.spec = spec
        for item in spec.items:
            self.fields[item.key] = _item_field(spec, item)

    def responses(self) -> dict[str, float | None]:
        return dict(self.cleaned_data["responses"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw = {item.key: data.get(item.key) for item in self.spec.items}
        try:
            data["responses"] = validate_responses(self.spec.name, raw)
        except forms.ValidationError as error:
            if hasattr(error, "error_dict"):
                for key, messages in error.error_dict.items():
                    for message in messages:
                        self.add_error(key, message)
            else:
                raise
        return data


class QuestionnaireForm(_Responses):
    """Meta fields (wave, date, mode) and one field per item of *instrument*."""

    def __init__(self, instrument: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_items(instruments.get(instrument))


class RelationshipForm(_Responses):
    """A relationship rating: target, the group (for facilitators) and the scale's items."""

    membership = forms.ModelChoiceField(queryset=GroupMembership.objects.none(), required=False)

    def __init__(self, participant: Participant, target: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.target = RelationshipRating.Target(target)
        field = self.fields["membership"]
        field.queryset = participant.memberships.select_related("service")
        field.required = self.target == RelationshipRating.Target.FACILITATOR
        if not field.required:
            del self.fields["membership"]
        self.add_items(instruments.get(settings.LINKWORK_RELATIONSHIP_INSTRUMENTS[target]))


class GroupMembershipForm(forms.ModelForm):
    """Refer a participant to a group (a directory service) and record attendance."""

    class Meta:
        model = GroupMembership
        fields = ("service", "facilitator", "start", "end", "sessions_attended")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        active = Service.objects.filter(status=Service.Status.ACTIVE)
        self.fields["service"].queryset = active
        self.fields["facilitator"].queryset = Facilitator.objects.select_related("service")
