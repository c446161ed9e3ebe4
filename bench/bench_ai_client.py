"""How close the AI client gets to perfect concurrency against a slow endpoint.

Starts the fault server (tests/ai/fault_server.py) in its own process with a fixed
200 ms answer time, sends it 1,000 structured-output requests through ``complete_many``
of the blocking and the async client at concurrency 50, 125 and 150 (the last two above
httpx's default pool of 100 connections; 150 leaves a last round of 100 requests, so no
client gets below 1.05x there), and prints the wall time as a ratio to the ideal
``N x latency / concurrency``. Target: within 1.10x, every request answered, no retries.

    python bench/bench_ai_client.py [N]
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from toolkit.ai.client import AsyncClient, ChatRequest, Client  # noqa: E402
from toolkit.ai.endpoints import EndpointConfig  # noqa: E402

LATENCY = 0.2
CONCURRENCIES = (50, 125, 150)
TARGET = 1.10
SCHEMA = {
    "type": "object",
    "properties": {"summary": {"type": "string"}, "flags": {"type": "array"}},
    "required": ["summary", "flags"],
}


def start_server() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "ai" / "fault_server.py"), "--latency", str(LATENCY)],
        stdin=subprocess.PIPE,  # closed when this process ends: the server stops too
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    match = re.search(r"on (http://\S+)", process.stdout.readline())
    if not match:
        process.kill()
        sys.exit("bench_ai_client: the fault server did not start")
    return process, match.group(1)


def requests(count: int) -> list[ChatRequest]:
    return [
        ChatRequest([{"role": "user", "content": f"record {i}"}], schema=SCHEMA, key=i)
        for i in range(count)
    ]


def run_sync(endpoint: EndpointConfig, count: int) -> tuple[float, int]:
    started = time.perf_counter()
    with Client(endpoint) as client:
        errors = sum(not outcome.ok for outcome in client.complete_many(requests(count)))
    return time.perf_counter() - started, errors


def run_async(endpoint: EndpointConfig, count: int) -> tuple[float, int]:
    async def main() -> int:
        async with AsyncClient(endpoint) as client:
            return sum([not outcome.ok async for outcome in client.complete_many(requests(count))])

    started = time.perf_counter()
    errors = asyncio.run(main())
    return time.perf_counter() - started, errors


def main(argv: list[str]) -> int:
    count = int(argv[0]) if argv else 1000
    process, url = start_server()
    print(f"AI client: {count} requests, {LATENCY * 1000:.0f} ms per answer, loopback {url}")
    print(f"{'client':<8}{'concurrency':>12}{'wall':>9}{'ideal':>9}{'ratio':>8}{'errors':>8}")
    failed = False
    try:
        for concurrency in CONCURRENCIES:
            endpoint = EndpointConfig(
                base_url=url, model="bench", concurrency=concurrency, timeout=30, max_retries=0
            )
            ideal = count * LATENCY / concurrency
            for name, run in (("sync", run_sync), ("async", run_async)):
                wall, errors = run(endpoint, count)
                ratio = wall / ideal
                failed |= errors > 0
                verdict = "ok" if ratio <= TARGET and not errors else "MISSED"
                print(
                    f"{name:<8}{concurrency:>12}{wall:>8.2f}s{ideal:>8.2f}s"
                    f"{ratio:>7.2f}x{errors:>8}  {verdict}",
                    flush=True,
                )
    finally:
        process.terminate()
        process.wait(10)
    print(f"target: within {TARGET:.2f}x of ideal, no errors (max_retries=0: none hidden)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
