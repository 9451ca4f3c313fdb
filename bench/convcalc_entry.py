# The `convcalc` command as pip installs it: the console script pip generates for
# `[project.scripts] convcalc = "convcalc.cli:main"` (pyproject.toml) is these lines. The
# benchmarks run this file (with the checkout on PYTHONPATH) so that they time what a user types,
# `convcalc ...`, and not `python -m convcalc`, which goes through runpy and measured 20-35 ms
# slower here for `check` (bench/README.md).
import re
import sys

from convcalc.cli import main

if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\.pyw|\.exe)?$", "", sys.argv[0])
    sys.exit(main())
