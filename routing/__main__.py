"""The optimiser from the command line.

    python -m routing solve INSTANCE.json [--time-limit S]     print the plan as JSON
    python -m routing convert solomon|tsptw FILE [--customers N]   print the instance JSON
"""
import argparse
import json
import sys

from . import formats
from .instance import solve_instance


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m routing")
    commands = parser.add_subparsers(dest="command", required=True)
    solve = commands.add_parser("solve", help="solve an instance file (see routing/instance.py)")
    solve.add_argument("instance", type=argparse.FileType("r", encoding="utf-8"))
    solve.add_argument("--time-limit", type=float, help="seconds; overrides the file's time_limit_s")
    convert = commands.add_parser("convert", help="a published instance file to instance JSON")
    convert.add_argument("format", choices=["solomon", "tsptw"])
    convert.add_argument("file", type=argparse.FileType("r", encoding="utf-8"))
    convert.add_argument("--customers", type=int, help="Solomon: keep the first N customers (25, 50)")
    args = parser.parse_args(argv)
    if args.command == "convert":
        text = args.file.read()
        try:
            data = formats.solomon(text, args.customers) if args.format == "solomon" else formats.tsptw(text)
        except (ValueError, IndexError) as exc:
            parser.error(f"{args.file.name}: {exc}")
        json.dump(data, sys.stdout)
        sys.stdout.write("\n")
        return 0
    try:
        data = json.load(args.instance)
    except json.JSONDecodeError as exc:
        parser.error(f"{args.instance.name}: not JSON ({exc})")
    if args.time_limit is not None:
        data["time_limit_s"] = args.time_limit
    try:
        result = solve_instance(data)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        parser.error(f"{args.instance.name}: not a valid instance ({exc!r})")
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
