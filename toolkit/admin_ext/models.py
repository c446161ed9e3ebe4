"""Models of the admin extensions: saved changelist views.

Installed with ``"toolkit.admin_ext"`` in ``INSTALLED_APPS`` (system check
``toolkit.E030`` says so when a ModelAdmin uses ``SavedViewsMixin`` without it).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _


class SavedView(models.Model):
    """A changelist's search, filters and ordering, saved under a name.

    Only the query string is stored (never paging or popup parameters): applying a view
    sends the person to the changelist with it, and the changelist validates it again,
    so a view whose filter no longer exists degrades into a message instead of an error.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="toolkit_saved_views",
        verbose_name=_("owner"),
    )
    name = models.CharField(_("name"), max_length=100)
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("model"),
        help_text=_("The model whose changelist this view belongs to."),
    )
    query_string = models.TextField(
        _("query string"),
        blank=True,
        help_text=_("Search, filters and ordering of the changelist, URL-encoded."),
    )
    shared_with_group = models.ForeignKey(
        Group,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="toolkit_saved_views",
        verbose_name=_("shared with group"),
        help_text=_("Members of this group see the view in their menu; only its owner edits it."),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "content_type", "name"],
                name="toolkit_savedview_unique_name",
            )
        ]
        indexes = [
            # The menu lists the views of one changelist shared with the person's groups.
            models.Index(
                fields=["content_type", "shared_with_group"], name="toolkit_savedview_shared_idx"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def params(self) -> QueryDict:
        """The stored query string as an immutable ``QueryDict``."""
        return QueryDict(self.query_string)
