"""What-if projections over a report: cost growth month by month (``growth``), a Monte Carlo of
uncertain inputs (``montecarlo``), both re-pricing its options (``reprice``), and the capacity
week of the chosen fleet (``week``). The minute-by-minute simulators they and the platforms use
are ``wheretorun.fleetsim`` (docs/simulation.md).
"""
