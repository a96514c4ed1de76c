"""Run every benchmark script in benchmarks/, one subprocess each, and summarise.

    python benchmarks/run_all.py

Each script prints its own figures; this prints them as they come, then one line per script
(exit status and wall time). Exits non-zero when any script failed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TIMEOUT_S = 600


def run(script: Path) -> tuple[int, float]:
    """Run one script with its output streamed through; return (exit status, seconds)."""
    print(f"\n=== {script.name} ===", flush=True)
    start = time.perf_counter()
    try:
        status = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, timeout=TIMEOUT_S).returncode
    except subprocess.TimeoutExpired:
        print(f"{script.name}: stopped after {TIMEOUT_S} s", flush=True)
        status = -1
    return status, time.perf_counter() - start


def main() -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name != Path(__file__).name)
    results = {script.name: run(script) for script in scripts}
    print("\n=== summary ===")
    for name, (status, seconds) in results.items():
        print(f"{name:28s} {'ok' if status == 0 else f'FAILED ({status})':12s} {seconds:6.1f} s")
    failed = [name for name, (status, _) in results.items() if status != 0]
    print(f"{len(scripts) - len(failed)}/{len(scripts)} benchmarks ran cleanly")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
