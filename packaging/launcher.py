"""Entry script of the frozen build: the same ``console.cli:main`` as the pip entry point."""

import sys

from console.cli import main

if __name__ == "__main__":
    sys.exit(main())
