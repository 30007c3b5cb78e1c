"""Stage 4: the leaderboard. :mod:`bench.board.collect` turns stored runs and the current test set into
one table model; :mod:`~bench.board.markdown`, :mod:`~bench.board.tidy` and :mod:`~bench.board.html`
only render it, so the three files can never disagree."""
