"""Sub-commands of ``tillterm``: one module each, cheap to import (argparse only)."""
