"""The one exception type users are meant to see.

Anything the user can fix (a missing file, an unknown pair, a model that is not downloaded) is raised
as :class:`BenchError`. The command line prints its message as a single line and exits with status 2,
with no traceback, so the message itself must name the file or setting at fault and the fix.
"""


class BenchError(Exception):
    """A user-fixable problem, reported as one line (file or setting at fault, and the fix)."""
