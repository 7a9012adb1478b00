"""Traffic over time: minute-by-minute capacity, cold starts, queueing and latency per platform,
cost growth month by month, and a Monte Carlo of uncertain inputs.

``traffic`` builds the requests-per-minute series, ``fleet`` simulates each platform over it,
``growth`` and ``montecarlo`` re-price a report's options (docs/simulation.md).
"""
