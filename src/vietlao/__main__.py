import sys

from vietlao.cli import main

sys.exit(main())
