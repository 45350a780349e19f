"""The original entry point: `python main.py --theme T --data D` is `vantage run`."""

import sys

from vantageadapt.cli import main

if __name__ == "__main__":
    main(["run", *sys.argv[1:]])
