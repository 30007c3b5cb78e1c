"""Human judgments: imported from WMT MQM, ESA/DA files and Pearmut; exported as Pearmut campaigns;
compared with the automatic metrics (:mod:`bench.human.agreement`). See ``docs/human-evaluation.md``."""

