"""Stage 2: MT systems. One class per family behind :class:`bench.systems.base.System`;
one YAML per system under ``configs/model/``, instantiated by Hydra through ``_target_``."""
