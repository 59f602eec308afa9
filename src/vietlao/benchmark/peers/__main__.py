import sys

from vietlao.benchmark.peers import main

sys.exit(main(sys.argv[1:]))
