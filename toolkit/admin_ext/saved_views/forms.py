"""The form of a view being saved: its name, and the group it is shared with.

Imported lazily (from inside the views and the menu): this module touches
``django.contrib.auth`` models, which cannot be imported while apps are still loading.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

#: Longest query string a saved view keeps (a handful of filters fit many times over).
MAX_QUERY_LENGTH = 4000


class SavedViewForm(forms.Form):
    """Name and sharing of a changelist view being saved.

    ``shared_with_group`` offers only the groups the person belongs to: sharing with
    any other group is a validation error, not a silent success.
    """

    name = forms.CharField(label=_("Name"), max_length=100)
    shared_with_group = forms.ModelChoiceField(
        label=_("Share with"),
        queryset=Group.objects.none(),
        required=False,
        empty_label=_("Only me"),
    )
    query = forms.CharField(
        required=False, strip=False, max_length=MAX_QUERY_LENGTH, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "saved_view")
        super().__init__(*args, **kwargs)
        field = self.fields["shared_with_group"]
        assert isinstance(field, forms.ModelChoiceField)
        groups = getattr(user, "groups", None)  # custom user models may have none
        field.queryset = groups.order_by("name") if groups is not None else Group.objects.none()
