"""The sync service: consolidates school submissions into the master workbook, and the CLI.

It adapts :mod:`rules` to files, the web and the command line; it holds no domain rules itself.
"""
