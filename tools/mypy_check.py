"""Run mypy (configured in ``pyproject.toml``) and fail only on errors that are not in the baseline.

The baseline (``.mypy-baseline.txt``) holds known errors as ``path: code: message`` lines, without line
numbers, so unrelated edits do not churn it. It may only shrink: fixed errors are reported, and
``--update`` rewrites the file (use it after fixing errors; it refuses to add new ones).
To accept an error deliberately, add its printed ``path: code: message`` line to the file by hand.

```bash
python tools/mypy_check.py           # exit 1 on a new error
python tools/mypy_check.py --update  # drop the baseline lines that no longer occur
```
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / ".mypy-baseline.txt"
_ERROR = re.compile(r"^(?P<path>[^:\s]+\.pyi?):\d+(?::\d+)?: error: (?P<msg>.*?)(?:  \[(?P<code>[a-z0-9-]+)\])?$")


def normalize(output: str) -> Counter[str]:
    """Count mypy's errors as ``path: code: message`` (line numbers inside messages replaced by ``N``)."""
    errors: Counter[str] = Counter()
    for line in output.splitlines():
        m = _ERROR.match(line.strip())
        if m:
            msg = re.sub(r"\bline \d+\b", "line N", m["msg"])
            errors[f"{m['path'].replace(chr(92), '/')}: {m['code'] or 'misc'}: {msg}"] += 1
    return errors


def read_baseline() -> Counter[str]:
    if not BASELINE.exists():
        return Counter()
    return Counter(line for line in BASELINE.read_text().splitlines() if line and not line.startswith("#"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite the baseline without the fixed errors")
    args = parser.parse_args(argv)

    proc = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode not in (0, 1):  # 2: mypy itself failed (bad config, crash)
        sys.stdout.write(proc.stdout + proc.stderr)
        return proc.returncode
    current = normalize(proc.stdout)
    baseline = read_baseline()
    new = current - baseline
    gone = baseline - current

    if new:
        print(f"mypy: {sum(new.values())} error(s) not in {BASELINE.name}:")
        for line in proc.stdout.splitlines():
            if line.strip() and normalize(line) & new:
                print(f"  {line}")
        print("  as baseline lines:")
        for key in sorted(new):
            print(f"    {key}")
    if gone:
        print(
            f"mypy: {sum(gone.values())} baseline error(s) are gone; "
            "shrink the baseline with `python tools/mypy_check.py --update`"
        )
    if args.update:
        if new and BASELINE.exists():
            print("mypy: not updating the baseline while there are new errors (it may only shrink)")
            return 1
        lines = sorted(current.elements())
        header = "# known mypy errors (path: code: message); may only shrink, see tools/mypy_check.py\n"
        BASELINE.write_text(header + "".join(f"{line}\n" for line in lines))
        print(f"mypy: baseline now holds {len(lines)} error(s)")
    print(f"mypy: {sum(current.values())} error(s), {sum(baseline.values())} in the baseline, {sum(new.values())} new")
    return 1 if new and not args.update else 0


if __name__ == "__main__":
    sys.exit(main())
