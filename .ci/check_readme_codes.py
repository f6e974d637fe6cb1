#!/usr/bin/env python3
"""Checks that README.md's error-code table lists exactly the codes of src/codes.rs.

Every `pub const NAME: i32 = VALUE;` of src/codes.rs must have a row `| VALUE | NAME | ... |` in
the README's "Error codes" table, and the table must have no other rows. Run by ctest
(`readme_codes`). Python 3 standard library only.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def codes_rs():
    src = (ROOT / "src" / "codes.rs").read_text(encoding="utf-8")
    out = {}
    for name, value in re.findall(r"pub const (\w+): i32 = ([-\d_]+);", src):
        out[int(value.replace("_", ""))] = "OK" if name == "OK" else name
    return out


def readme_table():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"^## Error codes\n(.*?)(?=^## )", text, re.S | re.M)
    if not m:
        sys.exit("README.md has no '## Error codes' section")
    rows = {}
    for value, name in re.findall(r"^\| (-?\d+) \| (\w+) \|", m.group(1), re.M):
        rows[int(value)] = name
    return rows


def main():
    want = codes_rs()
    have = readme_table()
    problems = []
    for value, name in sorted(want.items()):
        if value not in have:
            problems.append("missing from README: %d %s" % (value, name))
        elif have[value] != name:
            problems.append("README names %d %s, src/codes.rs %s" % (value, have[value], name))
    for value, name in sorted(have.items()):
        if value not in want:
            problems.append("in README but not in src/codes.rs: %d %s" % (value, name))
    for p in problems:
        print(p)
    if problems:
        return 1
    print("README error-code table matches src/codes.rs (%d codes)" % len(want))
    return 0


if __name__ == "__main__":
    sys.exit(main())
