"""System checks of the options of ``ExportMixin`` (toolkit.E070, W070, E071) and
``ImportMixin`` (toolkit.E072 to E074): one ``ModelAdminChecks`` subclass each, the
mixins' ``mixin_checks_class``, which join the admin's ``checks_class``."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.checks import ModelAdminChecks
from django.core import checks
from django.core.checks import CheckMessage
from import_export.resources import Resource

from .formats import FORMATS, format_problem, resolve_format

__all__ = ["ExportChecks", "ImportChecks"]

#: ImportMixin options that must be positive whole numbers (toolkit.E074).
IMPORT_SIZE_OPTIONS = (
    "import_max_upload_size",
    "import_max_rows",
    "import_max_columns",
    "import_max_cell_length",
    "import_max_decompressed_size",
    "import_max_compression_ratio",
    "import_max_json_depth",
    "import_background_threshold",
    "import_batch_size",
    "import_preview_per_page",
)


def whole_number(value: Any, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


class ExportChecks(ModelAdminChecks):
    """The checks of ``export_formats``, ``export_background_threshold`` and
    ``export_chunk_size``."""

    def check(self, admin_obj: Any, **kwargs: Any) -> list[CheckMessage]:
        return [
            *super().check(admin_obj, **kwargs),
            *self._check_export_formats(admin_obj),
            *self._check_export_sizes(admin_obj),
        ]

    def _check_export_formats(self, admin_obj: Any) -> list[CheckMessage]:
        cls = type(admin_obj)
        where = f"{cls.__name__}.export_formats"
        entries = admin_obj.export_formats
        if isinstance(entries, str) or not isinstance(entries, (list, tuple)):
            return [
                checks.Error(
                    f"{where} must be a list or tuple of formats, not {entries!r}.",
                    hint=f"For example export_formats = [{', '.join(map(repr, FORMATS))}].",
                    obj=cls,
                    id="toolkit.E070",
                )
            ]
        problems = [problem for entry in entries if (problem := format_problem(entry))]
        classes = [c for c in (resolve_format(e) for e in entries) if c is not None]
        by_name: dict[str, type[Any]] = {}
        for format_class in classes:
            other = by_name.setdefault(format_class.name, format_class)
            if other is not format_class:
                problems.append(
                    f"{other.__name__} and {format_class.__name__} are both named "
                    f"{format_class.name!r}"
                )
        if problems:
            return [
                checks.Error(
                    f"{where} lists what is not an export format: {'; '.join(problems)}.",
                    hint="Name built-in formats ("
                    + ", ".join(map(repr, FORMATS))
                    + ") or list complete Format subclasses "
                    "(toolkit.admin_ext.importexport.Format).",
                    obj=cls,
                    id="toolkit.E070",
                )
            ]
        return [
            checks.Warning(
                f"{where} lists {format_class.name!r} but {format_class.unavailable_reason}: "
                f"no {format_class.label} export.",
                hint=format_class.unavailable_hint or None,
                obj=cls,
                id="toolkit.W070",
            )
            for format_class in dict.fromkeys(classes)
            if not format_class.is_available()
        ]

    def _check_export_sizes(self, admin_obj: Any) -> list[CheckMessage]:
        cls = type(admin_obj)
        errors: list[CheckMessage] = []
        threshold = admin_obj.export_background_threshold
        if not whole_number(threshold, 0):
            errors.append(
                checks.Error(
                    f"{cls.__name__}.export_background_threshold must be a whole number "
                    f"of rows, 0 or more, not {threshold!r}.",
                    hint="Set it to the number of rows above which exports run as a job.",
                    obj=cls,
                    id="toolkit.E071",
                )
            )
        chunk_size = admin_obj.export_chunk_size
        if not whole_number(chunk_size, 1):
            errors.append(
                checks.Error(
                    f"{cls.__name__}.export_chunk_size must be a positive whole number of "
                    f"rows, not {chunk_size!r}.",
                    hint="Set it to the rows read per database round trip (2000 by default).",
                    obj=cls,
                    id="toolkit.E071",
                )
            )
        return errors


class ImportChecks(ModelAdminChecks):
    """The checks of ``import_resource_class`` and of the import size options."""

    def check(self, admin_obj: Any, **kwargs: Any) -> list[CheckMessage]:
        return [
            *super().check(admin_obj, **kwargs),
            *self._check_import_resource(admin_obj),
            *self._check_import_sizes(admin_obj),
        ]

    def _check_import_resource(self, admin_obj: Any) -> list[CheckMessage]:
        cls = type(admin_obj)
        resource_class = admin_obj.import_resource_class
        if resource_class is None:
            return []  # import is off (or get_import_resource() is overridden)
        is_resource = isinstance(resource_class, type) and issubclass(resource_class, Resource)
        model = getattr(getattr(resource_class, "_meta", None), "model", None)
        if not is_resource or model is None:
            return [
                checks.Error(
                    f"{cls.__name__}.import_resource_class must be a django-import-export "
                    f"ModelResource, not {resource_class!r}.",
                    hint="Set it to a ModelResource of this admin's model "
                    "(see demo/catalog/resources.py).",
                    obj=cls,
                    id="toolkit.E072",
                )
            ]
        if model is not admin_obj.model:
            return [
                checks.Error(
                    f"{cls.__name__}.import_resource_class imports "
                    f"{model.__name__}, not {admin_obj.model.__name__}.",
                    hint="Give this admin a resource of its own model.",
                    obj=cls,
                    id="toolkit.E073",
                )
            ]
        return []

    def _check_import_sizes(self, admin_obj: Any) -> list[CheckMessage]:
        cls = type(admin_obj)
        return [
            checks.Error(
                f"{cls.__name__}.{attr} must be a positive whole number, not {value!r}.",
                hint="See ImportMixin's documentation for its meaning.",
                obj=cls,
                id="toolkit.E074",
            )
            for attr in IMPORT_SIZE_OPTIONS
            if not whole_number(value := getattr(admin_obj, attr), 1)
        ]
