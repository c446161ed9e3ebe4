"""Django's own admin test suite, run stock and with the toolkit's ModelAdmin swapped in.

See ``scripts/django-admin-suite`` (the entry point) and ``allowlist.toml``.
"""
