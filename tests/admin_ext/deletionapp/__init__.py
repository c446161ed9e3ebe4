"""A test app of deep cascades for the delete action's tests (tests/admin_ext/test_deletion.py).

Installed by tests/settings.py, the settings the test suite runs with: the demo's, plus
this app. Its models exist only for the tests; the demo never sees them.
"""
