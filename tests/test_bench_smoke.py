"""Every benchmark in bench/ still runs, in its smallest mode. No timing is asserted: speed
targets live in BENCHMARKS.md, measured with `bash bench/run_all.sh`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SMALLEST = {
    "throughput": ["--updates", "8", "--concurrency", "2"],
    "jobs": ["--members", "400", "--in-process"],
    "broadcast": ["--recipients", "3", "--rate", "30"],
    "footprint": ["--idle", "0", "--once"],
    "card_render": ["3"],
}


@pytest.mark.bench
@pytest.mark.parametrize("name", sorted(SMALLEST))
def test_the_benchmark_runs_and_prints_its_figures_last(name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", *SMALLEST[name]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    last = done.stdout.strip().splitlines()[-1]
    if name == "card_render":
        assert "median_ms=" in last
        return
    figures = json.loads(last)
    assert figures["benchmark"] == name
    assert "PASS" in figures.values() or "MISS" in figures.values()
