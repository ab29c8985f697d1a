"""Benchmark: the property layer against a raw ``schemathesis run`` on the same spec and example count.

Why: the property layer must stay cheap enough to be part of every certification (the whole default run
in at most 60 s on two cores) and must buy more cases per second than pointing the schemathesis CLI at
the server. Both runs get a freshly started embedded reference of their own (the raw run creates crons
and threads that would otherwise slow the other), and the timer covers only the run itself, start-up of
the Python process included, not the reference's start.

    python bench/property_benchmark.py [--max-examples 5] [--seed 0] [--raw-args "--phases fuzzing"]

Prints wall time and generated cases of both, and the ratio the project aims at (<= 0.5 at the same or a
higher case count). The layer's count comes from reports/.../properties.json, the CLI's from its summary.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from conformance.targets import reference  # noqa: E402  (the checkout's package, not an installed copy)


def timed(command: list[str], log: Path, cwd: Path = REPO) -> tuple[float, int, str]:
    started = time.monotonic()
    with open(log, "w", encoding="utf-8") as out:
        result = subprocess.run(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, check=False)
    return time.monotonic() - started, result.returncode, log.read_text(encoding="utf-8", errors="replace")


def run_layer(url: str, args: argparse.Namespace, work: Path) -> dict:
    report = work / "layer-report"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "conformance/tests/test_properties.py",
        "--target-url",
        url,
        "--target-name",
        reference.REFERENCE_NAME,  # the reference's expected failures apply
        "--conformance-report",
        str(report),
        "--max-examples",
        str(args.max_examples),
        "--conformance-seed",
        str(args.seed),
        "--property-budget",
        args.budget,
        "-W",
        "ignore::conformance.properties.PropertyAdvisory",
    ]
    seconds, code, output = timed(command, work / "layer.log")
    summary = json.loads((report / "properties.json").read_text(encoding="utf-8"))
    last = output.strip().splitlines()[-1] if output.strip() else ""
    return {"seconds": seconds, "cases": summary["cases"], "exit": code, "outcome": last}


def run_raw(url: str, args: argparse.Namespace, work: Path) -> dict:
    executable = Path(sys.executable).with_name("schemathesis")
    command = [
        str(executable) if executable.exists() else "schemathesis",
        "run",
        str(REPO / "spec" / "openapi.yaml"),
        "--url",
        url,
        "--max-examples",
        str(args.max_examples),
        "--seed",
        str(args.seed),
        "--generation-database",
        "none",
        "--no-color",
        *shlex.split(args.raw_args),
    ]
    # In the scratch folder: the CLI keeps a crash cache (.schemathesis/) in its working directory.
    seconds, code, output = timed(command, work / "raw.log", cwd=work)
    found = re.search(r"(\d+) generated", output)
    return {"seconds": seconds, "cases": int(found.group(1)) if found else None, "exit": code, "outcome": ""}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget", default="quick", choices=("quick", "full"))
    parser.add_argument("--raw-args", default="", help="extra arguments for schemathesis run")
    parser.add_argument("--skip-raw", action="store_true", help="time the property layer only")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="property-benchmark-"))
    results = {}
    runs = [("property layer", run_layer)] + ([] if args.skip_raw else [("raw schemathesis run", run_raw)])
    for name, runner in runs:
        server = reference.start(log=lambda m: print(f"  {m}", file=sys.stderr))
        try:
            print(f"running {name} against {server.url} ...", file=sys.stderr, flush=True)
            results[name] = runner(server.url, args, work)
        finally:
            server.stop()
    print(f"\nmax examples {args.max_examples}, seed {args.seed}, budget {args.budget}; logs in {work}")
    print(f"{'run':<22} {'wall s':>8} {'cases':>7} {'cases/s':>8}  exit")
    for name, result in results.items():
        rate = result["cases"] / result["seconds"] if result["cases"] else 0.0
        print(f"{name:<22} {result['seconds']:8.1f} {result['cases'] or '?':>7} {rate:8.1f}  {result['exit']}")
    if len(results) == 2:
        layer, raw = results["property layer"], results["raw schemathesis run"]
        ratio = layer["seconds"] / raw["seconds"]
        more = raw["cases"] is not None and layer["cases"] >= raw["cases"]
        verdict = "meets" if ratio <= 0.5 and more else "misses"
        relation = ">=" if more else "<"
        print(f"time ratio layer/raw {ratio:.2f} (target <= 0.50), cases {relation} raw: {verdict} the target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
