"""LLM-backed admin actions: summaries, anomaly flags and selection digests."""

from __future__ import annotations

__all__: list[str] = []
