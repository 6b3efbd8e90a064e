"""Data files that ship with the course (read them through :mod:`mesatoys.evidence`).

- ``scheming_evidence.csv``: findings of Meinke et al. (2024), "Frontier Models are
  Capable of In-context Scheming", one row per model, behaviour and measure.
- ``anti_scheming_results.csv``: covert-action rates before and after anti-scheming
  training from Schoen et al. (2025), "Stress Testing Deliberative Alignment for
  Anti-Scheming Training".

Every row names its source, where in the source the number sits, and a URL.
"""
