"""``{{ text|masked }}``: free text on public pages goes through the one masking function.

Registered as a template builtin in ``settings.TEMPLATES``, so no ``{% load %}`` is needed.
"""

from django import template

from sunshine.masking import mask_free_text

register = template.Library()


@register.filter(is_safe=True)
def masked(value):
    return mask_free_text(value if isinstance(value, str) else ("" if value is None else str(value)))
