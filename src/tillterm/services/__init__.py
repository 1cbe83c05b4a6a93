"""The application layer: the use cases the register screens and the CLI share.

A screen or a command asks a service to do one thing (complete a sale, save a
customer); the service decides where the transaction begins and ends and hands back
plain dataclasses. Nothing below it knows there is a screen.
"""
