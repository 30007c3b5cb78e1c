"""Small models built locally in seconds, with no downloads.

The real loading code (``from_pretrained``, ``comet.load_from_checkpoint``) is exercised on these in
tests, examples and benchmarks, because nothing can be fetched from the Hugging Face Hub here. They
are test doubles of the real architectures, not translation systems anyone should rank.
"""
