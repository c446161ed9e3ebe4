"""What a run did (:class:`RunReport`) and what a dry run would send (:class:`DryRun`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from toolkit.ai.models import Insight

__all__ = ["CHARS_PER_TOKEN", "DryRun", "RunReport"]

#: Characters per token, for estimates (English text and JSON average about 4).
CHARS_PER_TOKEN = 4
#: Errors kept on a report; the insights keep every one.
MAX_REPORT_ERRORS = 50


@dataclass
class RunReport:
    """What a run did. ``records`` = ``sent`` (ok or failed) + ``cached`` + refused."""

    action: str = ""
    records: int = 0
    #: Records sent to the model (their requests got an answer or failed).
    sent: int = 0
    #: Records whose answer was stored as ok.
    ok: int = 0
    #: Records skipped: an ok insight exists for the same input.
    cached: int = 0
    #: Records that ended failed (the endpoint, the answer, or a prompt too long).
    failed: int = 0
    requests: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    insights: list[Insight] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: Characters of the prompts sent (or, in a dry run, that would be).
    characters: int = 0
    dry_run: bool = False
    #: ``should_stop`` ended the run before every record was sent.
    stopped: bool = False

    @property
    def estimated_tokens(self) -> int:
        return math.ceil(self.characters / CHARS_PER_TOKEN)

    def add_error(self, message: str) -> None:
        if len(self.errors) < MAX_REPORT_ERRORS:
            self.errors.append(message)


@dataclass(frozen=True)
class DryRun:
    """What a run would send, for ``--dry-run``."""

    count: int
    cached: int
    requests: int
    characters: int
    estimated_tokens: int
    #: Completion tokens the requests may use at most (their ``max_tokens``).
    max_completion_tokens: int
