"""Minute-by-minute fleet simulation: the traffic series (``traffic``), the measured platform
behaviour it uses (``behaviour``) and the simulators of each kind of fleet over it (``fleet``).

It sits below the platforms, which price capacity with it (``platforms.capacity``); the what-if
projections over whole reports (growth, Monte Carlo, the capacity week) are ``simulate``, above them.
"""
