"""Named random streams and counter-based uniforms: the model's only sources of randomness.

Why two kinds:

* **Named generators** (`RandomStreams.generator`) serve draws made once, in bulk, such as
  building the city or generating the year's problem arrivals. Each process gets its own
  `numpy.random.Generator` derived from the run seed and the stream's name, so adding a draw
  to one process never shifts the draws of another.
* **Counter-based uniforms** (`RandomStreams.uniform`) serve decisions taken about a given
  entity at a given moment (does agency X refuse problem 1234 on its second escalation?). The
  number is a hash of (seed, stream name, entity id, counter), so it is the same in every
  scenario that asks the same question, however many other questions were asked before. This
  gives common random numbers across scenarios at the level of single decisions (the idea
  Starsim uses), which is what lets a paired comparison isolate a policy's effect.

Nothing here touches the global `random` or `numpy.random` state.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["RandomStreams", "stream_key"]

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_COUNTER_MULT = np.uint64(0xD6E8FEB86659FD93)
_TO_UNIT = 1.0 / float(1 << 53)


def stream_key(seed: int, name: str) -> int:
    """Return a 64-bit key for stream `name` under run seed `seed` (stable across platforms)."""
    crc = zlib.crc32(name.encode("utf-8"))
    ss = np.random.SeedSequence([int(seed) & 0xFFFFFFFFFFFFFFFF, crc])
    return int(ss.generate_state(1, dtype=np.uint64)[0])


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """Finaliser of SplitMix64: a bijective, well-mixed hash of 64-bit integers."""
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
        return z ^ (z >> np.uint64(31))


class RandomStreams:
    """All randomness of one run, derived from one integer seed.

    Example:
        >>> streams = RandomStreams(7)
        >>> a = streams.uniform("refusal", np.arange(3), counter=1)
        >>> bool(np.all(a == RandomStreams(7).uniform("refusal", np.arange(3), counter=1)))
        True
    """

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._generators: dict[str, np.random.Generator] = {}
        self._keys: dict[str, np.uint64] = {}

    def generator(self, name: str) -> np.random.Generator:
        """The generator of the named process; created on first use, then reused."""
        gen = self._generators.get(name)
        if gen is None:
            crc = zlib.crc32(name.encode("utf-8"))
            gen = np.random.default_rng(np.random.SeedSequence([self.seed, crc]))
            self._generators[name] = gen
        return gen

    def _key(self, name: str) -> np.uint64:
        key = self._keys.get(name)
        if key is None:
            key = np.uint64(stream_key(self.seed, name))
            self._keys[name] = key
        return key

    def uniform(self, name: str, ids: np.ndarray, counter: int | np.ndarray = 0) -> np.ndarray:
        """Uniform numbers in [0, 1), one per id, fixed by (seed, name, id, counter)."""
        ids64 = np.asarray(ids).astype(np.uint64, copy=False)
        ctr = np.asarray(counter).astype(np.uint64, copy=False)
        with np.errstate(over="ignore"):
            x = _splitmix64(ids64 ^ self._key(name))
            x = _splitmix64(x ^ (ctr * _COUNTER_MULT))
        return (x >> np.uint64(11)).astype(np.float64) * _TO_UNIT

    def exponential(self, name: str, ids: np.ndarray, counter: int | np.ndarray = 0) -> np.ndarray:
        """Unit-mean exponential numbers, one per id (inverse transform of `uniform`)."""
        return -np.log1p(-self.uniform(name, ids, counter))
