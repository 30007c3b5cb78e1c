"""The files on disk and their contracts: atomic writes and strict readers, the per-user cache key, run
folders (run.json, scores.json), the translation and score caches.
"""
