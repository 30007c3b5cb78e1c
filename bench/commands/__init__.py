"""One module per command: it reads its configuration, drives the stage libraries and writes the stage's
files. Commands import the libraries below them, never the CLI.
"""
