from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from villages.models import Division, Level

from .intake import MAX_TEXT
from .models import ComplaintCategory, Outcome, Rating
from .photo_hold import held_photo, is_held
from .photos import MAX_PHOTOS, clean_photo

PHOTO_FIELDS = ("photo1", "photo2", "photo3")
PHOTO_INPUT = {"accept": "image/*"}


def add_service_errors(form, exc):
    """Put a service's ``ValidationError({field: errors})`` on ``form``; fields it lacks go to the form as a whole."""
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def village_choices():
    """Villages grouped by township (``<optgroup>``): choosing the village chooses the township, no JavaScript."""
    villages = Division.objects.filter(level=Level.VILLAGE).select_related("parent").order_by("path")
    groups = {}
    for village in villages:
        groups.setdefault(village.parent.name, []).append((village.pk, village.name))
    return [("", str(_("请选择乡镇和村"))), *groups.items()]


# The intake form's last-read choices, so the form can be given back to a resident while the database is down:
# this process's copy first, then the shared cache (a worker started during the outage), else only what was posted.
CHOICES_CACHE_KEY = "complaints:intake-choices"
_last_choices = {}


def _remember_choices(choices):
    if choices != _last_choices:
        _last_choices.clear()
        _last_choices.update(choices)
        cache.set(CHOICES_CACHE_KEY, choices, None)


def offline_choices(data):
    """Village and category choices without the database; the posted values at least, labelled as chosen."""
    choices = _last_choices or cache.get(CHOICES_CACHE_KEY) or {}
    chosen = str(_("（您选择的）"))
    return {
        "village": choices.get("village") or [("", ""), (data.get("village", ""), chosen)],
        "category": choices.get("category") or [(data.get("category", ""), chosen)],
    }


class IntakeForm(forms.Form):
    village = forms.TypedChoiceField(
        label=_("乡镇 / 村"), coerce=int, error_messages={"required": _("请选择您反映的事情所在的村。")}
    )
    # No category is chosen for the resident (the first one, 村务公开, used to be): a wrong default routes the
    # complaint to the wrong office without anyone noticing; an empty choice asks once. Objections preset theirs.
    category = forms.ModelChoiceField(
        label=_("类别"),
        queryset=ComplaintCategory.objects.none(),
        empty_label=_("请选择类别（拿不准就选“其他”）"),
        error_messages={"required": _("请选择类别；拿不准就选“其他”。")},
    )
    text = forms.CharField(
        label=_("内容"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": MAX_TEXT}),
        help_text=_("最多 4000 字。请写清时间、地点、事情经过。"),
        error_messages={"required": _("请写下您要反映的事情。")},
    )
    concerns_cadres = forms.BooleanField(
        label=_("反映的是村干部（本村干部看不到这条留言，由乡镇纪委办理）"), required=False
    )
    concerns_township_staff = forms.BooleanField(label=_("反映的是乡镇干部（由县里办理）"), required=False)
    photo1 = forms.FileField(label=_("第 1 张照片"), required=False, widget=forms.FileInput(attrs=PHOTO_INPUT))
    photo2 = forms.FileField(label=_("第 2 张照片"), required=False, widget=forms.FileInput(attrs=PHOTO_INPUT))
    photo3 = forms.FileField(label=_("第 3 张照片"), required=False, widget=forms.FileInput(attrs=PHOTO_INPUT))
    # Photos kept from a post that had an error (complaints.photo_hold): signed tokens, and a box to drop each.
    held1 = forms.CharField(widget=forms.HiddenInput, required=False)
    held2 = forms.CharField(widget=forms.HiddenInput, required=False)
    held3 = forms.CharField(widget=forms.HiddenInput, required=False)
    drop1 = forms.BooleanField(label=_("不要这张照片"), required=False)
    drop2 = forms.BooleanField(label=_("不要这张照片"), required=False)
    drop3 = forms.BooleanField(label=_("不要这张照片"), required=False)
    name = forms.CharField(label=_("姓名（可不填）"), max_length=64, required=False)
    phone = forms.RegexField(
        label=_("手机号（可不填）"),
        regex=r"^1\d{10}$",
        required=False,
        error_messages={"invalid": _("手机号应为 11 位数字，以 1 开头。")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"}),
    )
    notify = forms.BooleanField(label=_("有答复时短信通知我"), required=False)
    disclosure = forms.IntegerField(widget=forms.HiddenInput, required=False)
    entry = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # Honeypot: moved off-screen by CSS and out of the tab order; bots fill it in. Not aria-hidden: a focusable
    # field inside aria-hidden is an accessibility error, and a screen reader hears "leave empty" instead.
    website = forms.CharField(
        label=_("请勿填写此项（留空）"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    # One-time token (complaints.intake.intake_token_new): a resubmission of this form returns the stored complaint.
    intake_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        categories = ComplaintCategory.objects.filter(is_active=True)
        self.fields["village"].choices = village_choices()
        self.fields["category"].queryset = categories
        _remember_choices({"village": self.fields["village"].choices, "category": [(c.pk, c.name) for c in categories]})

    @classmethod
    def offline(cls, data):
        """The form as the resident posted it, for a page rendered while the database is down: unbound (nothing
        is validated, no query runs), every field's value taken from ``data``; photos cannot be kept."""
        form = forms.Form.__new__(cls)
        forms.Form.__init__(form, initial={name: data.get(name) for name in cls.base_fields if name in data})
        choices = offline_choices(data)
        form.fields["village"].choices = choices["village"]
        label = cls.base_fields["category"].label
        form.fields["category"] = forms.ChoiceField(label=label, choices=choices["category"])
        return form

    def clean_village(self):
        pk = self.cleaned_data["village"]
        village = Division.objects.filter(pk=pk, level=Level.VILLAGE).select_related("parent__parent").first()
        if village is None:
            raise ValidationError(_("请选择村。"))
        return village

    def clean_website(self):
        if self.cleaned_data.get("website"):
            raise ValidationError(_("提交失败，请重试。"))
        return ""

    def clean(self):
        data = super().clean()
        if data.get("notify") and not data.get("phone"):
            self.add_error("phone", _("要短信通知，请填写手机号。"))
        for number, name in enumerate(PHOTO_FIELDS, start=1):
            token = data.get(f"held{number}")
            if data.get(name) or not token or data.get(f"drop{number}"):
                continue
            photo = held_photo(token)
            if photo is None:
                self.add_error(name, _("第 %(n)d 张照片保留时间已过，请重新选择。") % {"n": number})
            else:
                data[name] = photo
        return data

    def held_photos(self):
        """``[(number, token)]`` of the photos this form keeps from an earlier post, for the page to name."""
        return [
            (number, self[f"held{number}"].value())
            for number in range(1, len(PHOTO_FIELDS) + 1)
            if is_held(self[f"held{number}"].value())
        ]

    def decode_photos(self):
        """Decode and re-encode the photos (Pillow); True when all are good.

        Not part of ``clean()``: the public view calls it only after the rate-limit check passes,
        so a refused request never makes the server decode images.
        """
        photos = []
        for number, name in enumerate(PHOTO_FIELDS, start=1):
            uploaded = self.cleaned_data.get(name)
            if uploaded:
                try:
                    photos.append(clean_photo(uploaded, number))
                except ValidationError as exc:
                    self.add_error(name, exc)
        self.cleaned_data["photos"] = photos[:MAX_PHOTOS]
        return not self.errors

    def submission(self, **extra):
        """Keyword arguments for ``services.complaint_submit`` from the cleaned form, plus ``extra``."""
        data = self.cleaned_data
        fields = ("category", "village", "text", "photos", "name", "phone", "notify")
        fields += ("concerns_cadres", "concerns_township_staff")
        return {**{name: data[name] for name in fields}, **extra}


class TrackForm(forms.Form):
    code = forms.CharField(label=_("查询码"), max_length=12)
    secret = forms.CharField(label=_("密码"), max_length=12)

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper()


class ResendSecretForm(forms.Form):
    code = forms.CharField(label=_("查询码"), max_length=12)
    phone = forms.RegexField(
        label=_("留言时填写的手机号"),
        regex=r"^1\d{10}$",
        error_messages={"invalid": _("手机号应为 11 位数字，以 1 开头。")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"}),
    )

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper()


class RatingForm(forms.Form):
    rating = forms.ChoiceField(label=_("您对答复满意吗？"), choices=Rating.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("意见（可不填）"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}))


class ReplyForm(forms.Form):
    reply = forms.CharField(label=_("公开答复"), widget=forms.Textarea(attrs={"rows": 6}))
    outcome = forms.ChoiceField(label=_("办理结果"), choices=Outcome.choices)


class TransferForm(forms.Form):
    division = forms.ModelChoiceField(label=_("转给"), queryset=Division.objects.none())
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = targets


class PublicityForm(forms.Form):
    summary = forms.CharField(label=_("公开摘要"), max_length=200, required=False)
    description_public = forms.BooleanField(label=_("留言内容可公开（不含身份）"), required=False)


class StaffIntakeForm(IntakeForm):
    """Staff entering a complaint received by phone or in person."""

    channel = forms.ChoiceField(label=_("来源"), choices=[("phone", _("电话")), ("in_person", _("来访"))])


# The form each kind of move input asks for in the admin (``Move.inputs``; moves without inputs need none).
MOVE_FORMS = {
    "reason": ReasonForm,
    "reply": ReplyForm,
    "transfer": TransferForm,
    "publicity": PublicityForm,
    "rating": RatingForm,
}
