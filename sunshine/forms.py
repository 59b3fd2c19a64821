"""Small form helpers every app's staff forms share."""

from django import forms


def preselect_single_choices(form):
    """A select with exactly one real choice starts on it, without the "---------" line: a clerk with one village
    should not have to pick it. Fields that already have an initial value (or data) keep it."""
    for name, field in form.fields.items():
        if isinstance(field, forms.ModelChoiceField):
            only = list(field.queryset[:2])
            if len(only) == 1 and field.required:
                field.empty_label = None
                form.initial.setdefault(name, only[0].pk)
        elif isinstance(field, forms.ChoiceField):
            real = [value for value, _label in field.choices if value not in ("", None)]
            if len(real) == 1:
                form.initial.setdefault(name, real[0])
    return form
