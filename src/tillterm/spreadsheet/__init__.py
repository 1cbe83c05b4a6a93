"""Moving a customer list in from a spreadsheet and out again (SPEC §5).

``open_sheet`` reads ``.csv``/``.xlsx``/``.xls`` whatever their encoding and delimiter;
``check_import`` reports every error and warning by row and column without writing;
``run_import`` applies a file all or nothing, in one transaction; ``write_annotated``
saves the file with a column saying what to fix; ``export_customers`` writes the
template that imports back unchanged. No Textual here; polars loads only when a file is
actually read or written, so the app starts fast.
"""
