"""The options of ``ImportMixin``: its resource, its limits, who may import; each a
class attribute with a request-aware ``get_*()`` hook, checked by
:class:`~.checks.ImportChecks` (toolkit.E072 to E074)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.http import HttpRequest

from toolkit.admin_ext.base import ToolkitAdminMixin
from toolkit.exceptions import ToolkitConfigurationError

from .checks import ImportChecks
from .limits import ImportLimits

__all__ = ["ImportOptionsMixin"]


class ImportOptionsMixin(ToolkitAdminMixin):
    """What :class:`~.import_admin.ImportMixin` imports and within which limits: class
    attributes, each with a request-aware ``get_*()`` hook."""

    mixin_checks_class: ClassVar[type | None] = ImportChecks

    #: The django-import-export ``ModelResource`` class that maps columns to fields.
    #: ``None`` (and ``get_import_resource()`` not overridden): import is off, so the
    #: mixin can be added to an admin that works today and changes nothing.
    import_resource_class: ClassVar[type[Any] | None] = None

    #: Largest upload accepted, in bytes.
    import_max_upload_size: ClassVar[int] = ImportLimits.max_upload_size

    #: Most data rows of one file.
    import_max_rows: ClassVar[int] = ImportLimits.max_rows

    #: Most columns of one file.
    import_max_columns: ClassVar[int] = ImportLimits.max_columns

    #: Most characters of one cell.
    import_max_cell_length: ClassVar[int] = ImportLimits.max_cell_length

    #: Most bytes an XLSX workbook may unpack to (read from its zip directory before
    #: anything is unpacked).
    import_max_decompressed_size: ClassVar[int] = ImportLimits.max_decompressed_size

    #: Most times a part of an XLSX workbook may grow when unpacked (zip bombs).
    import_max_compression_ratio: ClassVar[int] = ImportLimits.max_compression_ratio

    #: Deepest nesting of a JSON file (a list of objects is 2).
    import_max_json_depth: ClassVar[int] = ImportLimits.max_json_depth

    #: Files with more rows than this are imported by a background job.
    import_background_threshold: ClassVar[int] = 5000

    #: Rows per batch: one transaction, one query per related model.
    import_batch_size: ClassVar[int] = 1000

    #: Rows per page of the preview.
    import_preview_per_page: ClassVar[int] = 100

    # -- hooks --------------------------------------------------------------------

    def import_configured(self) -> bool:
        """Whether this admin class imports at all: it has a resource to read rows
        with. Its import URLs exist only then."""
        return (
            self.import_resource_class is not None
            or type(self).get_import_resource is not ImportOptionsMixin.get_import_resource
        )

    def import_enabled(self, request: HttpRequest | None = None) -> bool:
        """Whether this admin imports for ``request``; override to decide per person."""
        return self.import_configured()

    def has_import_permission(self, request: HttpRequest) -> bool:
        """Importing adds and changes rows: both permissions are needed (and import must
        be on for this admin)."""
        return bool(
            self.import_enabled(request)
            and self.has_add_permission(request)
            and self.has_change_permission(request)
        )

    def get_import_resource(self, request: HttpRequest) -> Any:
        """The resource instance that reads rows; ``import_resource_class()`` by default."""
        if self.import_resource_class is None:
            raise ToolkitConfigurationError(
                f"{type(self).__name__} needs an import_resource_class."
            )
        return self.import_resource_class()

    def get_import_max_upload_size(self, request: HttpRequest) -> int:
        return self.import_max_upload_size

    def get_import_max_rows(self, request: HttpRequest) -> int:
        return self.import_max_rows

    def get_import_max_columns(self, request: HttpRequest) -> int:
        return self.import_max_columns

    def get_import_max_cell_length(self, request: HttpRequest) -> int:
        return self.import_max_cell_length

    def get_import_max_decompressed_size(self, request: HttpRequest) -> int:
        return self.import_max_decompressed_size

    def get_import_max_compression_ratio(self, request: HttpRequest) -> int:
        return self.import_max_compression_ratio

    def get_import_max_json_depth(self, request: HttpRequest) -> int:
        return self.import_max_json_depth

    def get_import_limits(self, request: HttpRequest) -> ImportLimits:
        """Every limit an upload of this request is read under, from the
        ``get_import_max_*()`` hooks."""
        return ImportLimits(
            max_upload_size=self.get_import_max_upload_size(request),
            max_rows=self.get_import_max_rows(request),
            max_columns=self.get_import_max_columns(request),
            max_cell_length=self.get_import_max_cell_length(request),
            max_decompressed_size=self.get_import_max_decompressed_size(request),
            max_compression_ratio=self.get_import_max_compression_ratio(request),
            max_json_depth=self.get_import_max_json_depth(request),
        )

    def get_import_background_threshold(self, request: HttpRequest) -> int:
        return self.import_background_threshold

    def get_import_batch_size(self, request: HttpRequest) -> int:
        return self.import_batch_size

    def get_import_preview_per_page(self, request: HttpRequest) -> int:
        """Rows per page of the preview (and rejected rows listed on the result page)."""
        return self.import_preview_per_page
