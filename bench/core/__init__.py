"""The shared core every layer may use: errors, language pairs and the language table, checks of settings,
cores and devices, provenance, console text, the shipped configs.
"""
