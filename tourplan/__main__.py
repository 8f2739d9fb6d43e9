import sys

from tourplan.cli import main

sys.exit(main())
