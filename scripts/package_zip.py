"""Build the function-app deployment zip: exactly what runs in Azure, nothing of the dev tooling.

    python scripts/package_zip.py --out dist/supra-water-func.zip   # build it
    python scripts/package_zip.py --list                             # print the file list

The zip holds `function_app.py`, `host.json`, `requirements.txt` and the `functions/` and `shared/` packages
(Python sources and the SQL migrations), never `devtools/`, `cli/`, `tests/` or caches. CI's package job runs this
script; `tests/platform/test_package.py` builds the same list and fails if tooling is inside it.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOP_FILES = ("function_app.py", "host.json", "requirements.txt")
PACKAGES = ("functions", "shared")
SKIP_DIRS = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
SKIP_SUFFIXES = {".pyc", ".pyo"}


def deployment_files(*, repo: Path = REPO) -> Iterator[str]:
    """Paths (relative, POSIX) of every file that goes into the zip, sorted."""
    found = [name for name in TOP_FILES if (repo / name).is_file()]
    for package in PACKAGES:
        for path in (repo / package).rglob("*"):
            rel = path.relative_to(repo)
            if path.is_file() and not SKIP_DIRS.intersection(rel.parts) and path.suffix not in SKIP_SUFFIXES:
                found.append(rel.as_posix())
    yield from sorted(found)


def build(*, out: Path, repo: Path = REPO) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in deployment_files(repo=repo):
            zf.write(repo / name, name)
            count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="zip to write")
    parser.add_argument("--list", action="store_true", help="print the file list")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(deployment_files()))
    if args.out:
        print(f"{build(out=args.out)} files -> {args.out}")
    if not args.list and not args.out:
        parser.error("give --out and/or --list")
    return 0


if __name__ == "__main__":
    sys.exit(main())
