"""`python -m hub.demo_data --out DIR [--seed N] [--scale small|full]`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import generate
from .common import SCALES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hub.demo_data",
        description="Write the synthetic Val-de-Lière demo sources (fictional data).")
    parser.add_argument("--out", required=True, type=Path, help="target folder")
    parser.add_argument("--seed", type=int, default=42, help="same seed, same bytes (default 42)")
    parser.add_argument("--scale", choices=sorted(SCALES), default="full",
                        help="full: a year of hourly readings; small: two weeks (tests)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    paths = generate(args.out, seed=args.seed, scale=args.scale)
    for path in paths:
        print(f"{path.stat().st_size:>12,}  {path}")
    print(f"{len(paths)} files in {time.monotonic() - started:.1f} s (seed {args.seed}, "
          f"scale {args.scale}; synthetic data)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
