"""``python -m vietlao.benchmark.peers OUT_DIR``: run the peers alone."""

import sys

from vietlao.benchmark.peers import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
