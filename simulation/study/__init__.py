"""Running many runs and judging them: executors, the crash-safe store, statistics, sweeps.

This layer imports the model (`simulation.model`, `simulation.scenario`) and never the views.
"""
