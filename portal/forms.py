from django import forms
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from sunshine.identity import InvalidID, normalize_id, person_key


class NoEchoTextInput(forms.TextInput):
    """A text box that never writes its value back into the page (the ID number must not be echoed), while
    the resident can still see what they type, unlike a password box."""

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, attrs)


class SelfQueryForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=64, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    id_number = forms.CharField(
        label=_("身份证号"),
        max_length=30,
        help_text=_("18 位，最后一位可能是 X。只用来查找，不会保存，也不会显示出来。"),
        widget=NoEchoTextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "autocapitalize": "characters",
                "inputmode": "text",
                "aria-describedby": "id_id_number_help",
            }
        ),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")  # Chinese labels take no ASCII colon
        super().__init__(*args, **kwargs)

    @sensitive_variables()
    def clean_id_number(self):
        """The keyed hash replaces the number at once; ``cleaned_data`` never holds the number itself."""
        try:
            self.cleaned_data["person_key"] = person_key(normalize_id(self.cleaned_data["id_number"]))
        except InvalidID as exc:
            raise forms.ValidationError(str(exc)) from None
        return ""
