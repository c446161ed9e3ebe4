"""A test runner that writes every test's outcome to a JSON file.

Django's runner only counts failures; comparing two runs needs each test's own outcome.
Results of parallel workers are replayed onto the main process's result object, so
recording there sees every test.
"""

from __future__ import annotations

import json
import os
import unittest
from typing import Any

from django.test.runner import DiscoverRunner

#: Outcomes, best first: a test that ran subtests keeps the worst one.
RANK = ["pass", "skip", "xfail", "fail", "error", "xpass"]


def first_line(text: str) -> str:
    """The exception line of a formatted traceback: the last non-empty line."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


class RecordingResult(unittest.TextTestResult):
    outcomes: dict[str, dict[str, str]] = {}

    def _record(self, test: Any, outcome: str, detail: str = "") -> None:
        test_id = test.id()
        old = self.outcomes.get(test_id)
        if old is None or RANK.index(outcome) > RANK.index(old["outcome"]):
            self.outcomes[test_id] = {"outcome": outcome, "detail": detail}

    def addSuccess(self, test: Any) -> None:
        super().addSuccess(test)
        self._record(test, "pass")

    def addSkip(self, test: Any, reason: str) -> None:
        super().addSkip(test, reason)
        self._record(test, "skip", reason)

    def addExpectedFailure(self, test: Any, err: Any) -> None:
        super().addExpectedFailure(test, err)
        self._record(test, "xfail")

    def addUnexpectedSuccess(self, test: Any) -> None:
        super().addUnexpectedSuccess(test)
        self._record(test, "xpass")

    def addFailure(self, test: Any, err: Any) -> None:
        super().addFailure(test, err)
        self._record(test, "fail", first_line(self.failures[-1][1]))

    def addError(self, test: Any, err: Any) -> None:
        super().addError(test, err)
        self._record(test, "error", first_line(self.errors[-1][1]))

    def addSubTest(self, test: Any, subtest: Any, err: Any) -> None:
        super().addSubTest(test, subtest, err)
        if err is not None:
            failed = issubclass(err[0], test.failureException)
            text = (self.failures if failed else self.errors)[-1][1]
            self._record(test, "fail" if failed else "error", first_line(text))


class RecordingRunner(DiscoverRunner):
    def get_resultclass(self) -> type[unittest.TextTestResult]:
        return RecordingResult

    def suite_result(self, suite: Any, result: Any, **kwargs: Any) -> int:
        # A test that failed in a subtest also reported success at its end: keep the worst.
        with open(os.environ["DJANGO_ADMIN_SUITE_OUT"], "w") as out:
            json.dump(RecordingResult.outcomes, out, indent=0, sort_keys=True)
        return super().suite_result(suite, result, **kwargs)
