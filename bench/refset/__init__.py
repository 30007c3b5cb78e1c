"""Stage 1: raw bilingual documents -> the sentence-aligned reference set (``references/``)."""
