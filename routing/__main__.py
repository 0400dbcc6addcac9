"""The optimiser from the command line.

python -m routing solve INSTANCE.json [--time-limit S]     print the plan as JSON
python -m routing convert solomon|tsptw FILE [--customers N]   print the instance JSON
"""

import os
import time


def _age_s():
    """Seconds since this process started (Linux: /proc), so that the time limit covers the interpreter's own
    start-up too; 0 where that cannot be read."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat, open("/proc/uptime", encoding="ascii") as up:
            started_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])  # field 22, `starttime`
            uptime = float(up.read().split()[0])
        return min(max(uptime - started_ticks / os.sysconf("SC_CLK_TCK"), 0.0), 5.0)
    except (OSError, ValueError, IndexError):
        return 0.0


# The time limit counts from the process's start: start-up, reading and converting the file included.
STARTED = time.perf_counter() - _age_s()

import argparse
import json
import sys

# Exit codes of `solve` (also in the README and `--help`).
EXIT_PLANNED = 0
EXIT_UNPLANNABLE = 1  # proven: the mandatory stops cannot all be kept
EXIT_USAGE = 2  # argparse: a bad command line or instance file
EXIT_NO_PLAN_FOUND = 3  # no plan found within the time limit; not a proof, a longer limit may find one

EPILOG = """exit codes of solve:
  0  a plan (printed as JSON)
  1  unplannable: proven that the mandatory stops cannot all be kept
     ({"error": "unplannable", "stop", "reason"})
  2  a bad command line or instance file
  3  no plan found within the time limit: not a proof, a longer --time-limit may find one
     ({"error": "no_plan_found", "time_limit_s", "message"})

The time limit covers the whole run, start-up and reading the file included (wall time within
the limit + 0.2 s)."""


def main(argv=None, started=None):
    started = time.perf_counter() if started is None else started
    parser = argparse.ArgumentParser(
        prog="python -m routing", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    solve = commands.add_parser(
        "solve",
        help="solve an instance file (see routing/instance.py)",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    solve.add_argument("instance", type=argparse.FileType("r", encoding="utf-8"))
    solve.add_argument("--time-limit", type=float, help="seconds for the whole run; overrides the file's time_limit_s")
    convert = commands.add_parser("convert", help="a published instance file to instance JSON")
    convert.add_argument("format", choices=["solomon", "tsptw"])
    convert.add_argument("file", type=argparse.FileType("r", encoding="utf-8"))
    convert.add_argument("--customers", type=int, help="Solomon: keep the first N customers (25, 50)")
    args = parser.parse_args(argv)
    if args.command == "convert":
        from . import formats

        text = args.file.read()
        try:
            data = formats.solomon(text, args.customers) if args.format == "solomon" else formats.tsptw(text)
        except (ValueError, IndexError) as exc:
            parser.error(f"{args.file.name}: {exc}")
        json.dump(data, sys.stdout)
        sys.stdout.write("\n")
        return EXIT_PLANNED
    try:
        data = json.load(args.instance)
    except json.JSONDecodeError as exc:
        parser.error(f"{args.instance.name}: not JSON ({exc})")
    if args.time_limit is not None:
        data["time_limit_s"] = args.time_limit
    from .instance import solve_instance

    try:
        limit = float(data.get("time_limit_s", 30 if "vehicles" in data else 2.0))
        result = solve_instance(data, deadline=started + limit)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        parser.error(f"{args.instance.name}: not a valid instance ({exc!r})")
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    error = result.get("error")
    if error == "no_plan_found":
        return EXIT_NO_PLAN_FOUND
    return EXIT_UNPLANNABLE if error else EXIT_PLANNED


if __name__ == "__main__":
    sys.exit(main(started=STARTED))
