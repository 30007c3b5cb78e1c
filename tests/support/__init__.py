"""What several test modules share, one module per topic, so that no test module imports another.

``cli`` runs bench as users do (a subprocess, or in this process); ``refs`` writes reference sets;
``runs`` writes and reads run folders; ``http`` serves fake and real endpoints on loopback; ``llm``
points the HTTP system and the judge at them; ``files`` watches and plants folders; ``models`` builds the
tiny metric checkpoints (``tests/conftest.py`` re-exports their fixtures); the others (``align``,
``board``, ``build``, ``cache``, ``hf``, ``hub``, ``human``, ``importing``, ``metrics``) hold one topic's
data and scenarios, shared by its unit tests (``tests/unit``) and its end-to-end tests (``tests/e2e``).
"""
