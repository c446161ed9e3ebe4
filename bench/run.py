"""Run every benchmark under bench/ in turn (``make bench``).

Each ``bench/bench_*.py`` is a standalone script that prints its own figures as ratios
measured side by side; this runner only starts them one after another, so a slow or
failing benchmark does not hide the others, and sums up at the end.

    python bench/run.py            # all of them
    python bench/run.py seed       # only bench_seed.py
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        scripts = [s for s in scripts if any(name in s.stem for name in argv)]
    if not scripts:
        print("no benchmark matched", argv)
        return 1
    failures = []
    for script in scripts:
        print(f"\n=== {script.name}", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent)
        elapsed = time.perf_counter() - started
        print(f"=== {script.name}: exit {result.returncode} in {elapsed:.0f}s")
        if result.returncode:
            failures.append(script.name)
    if failures:
        print("\nfailed:", ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
