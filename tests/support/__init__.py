"""What several test modules share, one module per topic, so that no test module imports another.

``cli`` runs bench as users do (a subprocess, or in this process); ``refs`` writes reference sets;
``runs`` writes and reads run folders; ``http`` serves fake and real endpoints on loopback; ``files``
watches folders; ``hub``, ``human``, ``board`` and ``align`` hold the scenarios of those topics.
"""
