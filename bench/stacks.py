"""Sum up py-spy's collapsed stacks (``py-spy record --format raw``): the share of samples spent inside
each package or function (inclusive), to write down where a process's time goes.

    python bench/stacks.py /tmp/prof/kit-consumer.txt [--by function] [--top 30]
"""

from __future__ import annotations

import argparse
import collections
import re


def where(frame: str, by: str) -> str:
    """A frame reads "function (package/module.py:line)": its package, or its function and module."""
    match = re.match(r"(.*) \((.*?)(?::\d+)?\)$", frame)
    if not match:
        return frame
    function, path = match.groups()
    if by == "function":
        return f"{function} ({path})"
    return path.split("/")[0].removesuffix(".py")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--by", choices=("package", "function"), default="package")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    with open(args.file) as f:
        for line in f:
            stack, _, count = line.rstrip().rpartition(" ")
            n = int(count)
            frames = stack.split(";")
            total += n
            for name in dict.fromkeys(where(fr, args.by) for fr in frames):
                inclusive[name] += n
            own[where(frames[-1], args.by)] += n
    print(f"{total} samples (py-spy leaves out idle ones: this is where the CPU goes)")
    print(f"{'inclusive %':>12}{'own %':>8}  where")
    for name, n in inclusive.most_common(args.top):
        print(f"{100 * n / total:>12.1f}{100 * own[name] / total:>8.1f}  {name}")


if __name__ == "__main__":
    main()
