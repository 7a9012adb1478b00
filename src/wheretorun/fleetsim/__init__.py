"""Minute-by-minute fleet simulation: the traffic series (``traffic``), the measured platform
behaviour it uses (``behaviour``), the window arithmetic they share (``windows``: rolling maxima and
minima, Lindley's queue, weighted quantiles) and a simulator per kind of capacity: self-hosted
fleets (``fleet``), Lambda functions (``lambda_``) and Bedrock on-demand quotas (``quota``).

It sits below the platforms, which price capacity with it (``platforms.capacity``); the what-if
projections over whole reports (growth, Monte Carlo, the capacity week) are ``simulate``, above them.
"""
