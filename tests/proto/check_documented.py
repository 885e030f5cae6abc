#!/usr/bin/env python3
"""Every service, rpc, message, enum, oneof, field and enum value of the protocol has a
comment: the line above it, or a comment at the end of its line. The .proto files are the
protocol's reference, so an undocumented name is a defect.

usage: check_documented.py PROTO_DIR
"""
import pathlib
import re
import sys

DECLARATION = re.compile(
    r"^\s*(?:service|rpc|message|enum|oneof)\s+\w+"  # named blocks and rpcs
    r"|^\s*(?:repeated\s+|optional\s+)?(?:map<[^>]+>|[\w.]+)\s+\w+\s*=\s*\d+"  # fields
    r"|^\s*[A-Z][A-Z0-9_]*\s*=\s*\d+\s*;"  # enum values
)


def undocumented(path):
    problems = []
    previous = ""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        stripped = line.strip()
        if DECLARATION.match(line):
            documented = previous.startswith("//") or "//" in line
            if not documented:
                problems.append(f"{path}:{number}: '{stripped}' has no comment")
        if stripped:
            previous = stripped
    return problems


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    files = sorted(pathlib.Path(sys.argv[1]).glob("*.proto"))
    if not files:
        print(f"no .proto files in {sys.argv[1]}", file=sys.stderr)
        return 1
    problems = [p for f in files for p in undocumented(f)]
    declarations = sum(1 for f in files for line in f.read_text().splitlines()
                       if DECLARATION.match(line))
    for p in problems:
        print(p)
    print(f"{len(files)} files, {declarations} declarations, {len(problems)} undocumented")
    return 1 if problems or declarations == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
