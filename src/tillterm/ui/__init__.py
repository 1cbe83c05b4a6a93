"""The Textual user interface. Screens get plain data from the domain layer."""
