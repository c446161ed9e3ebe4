"""The toolkit's settings, read lazily through one object per part.

Every setting is read on attribute access (never at import time), so
``override_settings`` works in tests and a site can change values per environment.
Values are validated by the system checks in :mod:`toolkit.checks`, not here: a typo
should show up in ``manage.py check`` with a hint, not as a traceback on the first
request.

Usage::

    from toolkit.conf import conf
    conf.CHUNK_SIZE

A part with settings of its own (as ``toolkit.ai`` has) reads them through a
:class:`SettingsSection` of its own and lists their names on its ``AppConfig`` as
``toolkit_settings``, so that the core's check ``toolkit.W001`` knows them while the part
is installed: the core imports no part.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings

#: Default value of each setting of the core, by its name without the ``TOOLKIT_`` prefix.
DEFAULTS: dict[str, Any] = {
    # Rows handled per chunk (one transaction, one progress update) by bulk operations.
    "CHUNK_SIZE": 1000,
    # Above this many rows (by the database's own estimate), changelists may show an
    # estimated count instead of running COUNT(*). None turns estimates off.
    "ESTIMATED_COUNT_THRESHOLD": 100_000,
}

PREFIX = "TOOLKIT_"


class SettingsSection:
    """Lazy access to a group of ``TOOLKIT_*`` settings with their defaults.

    Subclasses set :attr:`defaults` and add one typed property per setting; reading
    through ``settings`` at each access is what lets ``override_settings`` work.
    """

    #: Default of each setting of the section, by its name without :data:`PREFIX`.
    defaults: Mapping[str, Any] = {}

    def _get(self, name: str) -> Any:
        return getattr(settings, PREFIX + name, self.defaults[name])

    def raw(self, name: str) -> Any:
        """The setting exactly as the site wrote it (for the checks)."""
        return self._get(name)


class ToolkitSettings(SettingsSection):
    """Typed, lazy access to the core's ``TOOLKIT_*`` settings with their defaults."""

    defaults = DEFAULTS

    @property
    def CHUNK_SIZE(self) -> int:
        return int(self._get("CHUNK_SIZE"))

    @property
    def ESTIMATED_COUNT_THRESHOLD(self) -> int | None:
        value = self._get("ESTIMATED_COUNT_THRESHOLD")
        return None if value is None else int(value)

    def user_setting_names(self) -> list[str]:
        """Names of every ``TOOLKIT_*`` setting the site defines."""
        return [name for name in dir(settings) if name.startswith(PREFIX)]


conf = ToolkitSettings()
