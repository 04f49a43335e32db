"""Agent-based model of integrated party building (融合党建) in a Chinese city.

The package simulates residents' problems in a city whose party organisations are either
siloed (the baseline) or linked into alliances under six integration modes, so that planners
can compare service coverage and problem-resolution rates before rollout.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
