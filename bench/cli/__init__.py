"""The command line: Hydra applications around the commands, settings checks, help, overrides and sweep
records. Nothing below imports it.
"""
