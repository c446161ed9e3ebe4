"""An app installed only in the worker processes of tests/jobs/test_workers.py (through
tests/jobs/settings_worker.py): items to work on, and a log of every visit to them."""
