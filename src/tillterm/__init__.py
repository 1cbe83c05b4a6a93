"""tillterm: a keyboard-first point-of-sale register for the terminal.

This module stays import-free so ``tillterm --version`` answers in a blink.
"""

__version__ = "0.1.0"
