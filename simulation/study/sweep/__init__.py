"""Parameter sweeps: sweep files, designs (grid, Latin hypercube, Sobol), runs and Sobol indices.

A sweep file (TOML, design.md §5) names a base scenario, the parameters to vary and a sampler:

    name = "sweep_levers"                 # defaults to the file's stem
    description = "..."
    base = "baseline.toml"                # scenario file, relative to this file
    sampler = "sobol"                     # "grid" | "lhs" | "sobol"
    samples = 16                          # lhs: design points; sobol: base N (a power of 2)
    replications = 2                      # per design point, on common seeds
    seed = 7                              # replication r uses seed + r; also seeds the sampler
    outputs = ["needs_met_rate", "equity_gap"]
    timeseries = false                    # keep daily series of every run (default: no)

    [run]                                 # run settings for every point (days, scale, ...)
    scale = 0.01
    days = 120

    [fixed]                               # other scenario keys set for every point
    "modes.smart_platform.enabled" = true

    [parameters."modes.smart_platform.coverage"]
    range = [0.0, 1.0]                    # continuous; the grid needs `levels = 3`
    [parameters."principles.pairing"]
    values = ["voluntary", "forced"]      # discrete choices

Keys are the dotted keys of scenario files, checked against the scenario schema like a scenario
file's own values: every problem names the sweep file and key and says what is allowed.

Designs (`design`), deterministic given `seed`:
* grid: every combination (itertools.product) of each parameter's `values`, or of `levels`
  evenly spaced points of its `range` (ends included);
* lhs: `samples` points of a Latin hypercube (`scipy.stats.qmc.LatinHypercube`), one stratum
  per point in every parameter;
* sobol: Saltelli's scheme on a scrambled Sobol' sequence (`SALib.sample.sobol.sample`,
  first and total order only, `calc_second_order=False`): `samples * (D + 2)` points for D
  parameters. Second-order indices would double the runs, and with stochastic outputs they
  are rarely distinguishable from zero at the sizes a model this slow allows.

lhs and sobol draw each parameter on [0, 1) and map it: a float range linearly; an integer
range to one of its integers, each equally likely (lo + floor(u * (hi - lo + 1))); a list of
`values` to `values[floor(u * k)]`, each equally likely. So a discrete choice is a parameter
like any other in the Sobol analysis; its indices say how much its choice matters.

Every design point is a scenario (the base with the point's values) named `<sweep>-p0001`, ...,
and every point runs `replications` times on the same seeds (common random numbers), all as one
study (`simulation.study.runner.run_study`): process pool or Dask, failures recorded, `--resume`.
Each row of runs.parquet carries `design_point` and one column per swept parameter. The sweep
folder also gets design.csv (the design), summary.csv (per design point: runs, ok runs, and the
replicate mean and SD of every output) and, for sobol, sobol.csv (S1, S1_conf, ST, ST_conf per
output and parameter).

Sobol indices are computed on replicate-averaged outputs in design order (SALib's estimator
reads rows by position; SALib #665) so that run-to-run noise is not counted as sensitivity
(SALib #292). What noise is left is reported as `noise_share`: the variance of a replicate mean
that noise explains, relative to the variance of the replicate means across the design. The
total-order indices are inflated by up to that share; add replications when it is large.

Daily series are off by default in sweeps (`timeseries = false`): the analysis uses run-level
outputs, and a sweep's hundreds of runs times days of rows would dominate its folder.
"""

from __future__ import annotations

from simulation.study.sweep.designs import design, point_scenarios
from simulation.study.sweep.file import is_sweep_file, load_sweep, sweep_from_dict
from simulation.study.sweep.indices import noise_share, sobol_indices, summarise
from simulation.study.sweep.running import SweepResult, run_sweep
from simulation.study.sweep.schema import sweep_schema
from simulation.study.sweep.spec import DEFAULT_OUTPUTS, SAMPLERS, SweepParameter, SweepSpec

__all__ = [
    "DEFAULT_OUTPUTS",
    "SAMPLERS",
    "SweepParameter",
    "SweepResult",
    "SweepSpec",
    "design",
    "is_sweep_file",
    "load_sweep",
    "noise_share",
    "point_scenarios",
    "run_sweep",
    "sobol_indices",
    "summarise",
    "sweep_from_dict",
    "sweep_schema",
]
