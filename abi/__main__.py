import sys

from abi.cli import main

sys.exit(main())
