"""bench: a Chinese -> X machine-translation evaluation harness.

Data flows one way, and each arrow is a folder of files on disk:
raw documents -> ``references/`` -> ``results/runs/<model>/<run-id>/`` -> scores -> leaderboard.
"""

__version__ = "0.1.0"
