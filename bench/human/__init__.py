"""Human judgments: imported from WMT MQM, ESA/DA files and Pearmut; exported as Pearmut campaigns;
compared with the automatic metrics (:mod:`bench.human.agreement`). See ``docs/human-evaluation.md``."""


def main() -> None:
    """``python -m bench human ...`` (imported only for that command: the agreement statistics need no
    Hydra)."""
    from bench.commands.human import main as command_main

    command_main()
