"""Run one function over many jobs in worker processes, with a progress bar on stderr."""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")


def run_jobs(
    function: Callable[[Job], Result],
    jobs: Sequence[Job],
    workers: int = 1,
    description: str = "",
    unit: str = "it",
) -> Iterator[Result]:
    """Yield `function(job)` for every job, in completion order.

    `function` must be a module-level function (picklable). With `workers` > 1 the jobs
    run in that many processes; per-process state (e.g. dlib models) should be cached by
    the function itself so that each worker loads it once.
    """
    from tqdm import tqdm

    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    with tqdm(total=len(jobs), desc=description, unit=unit, file=sys.stderr, disable=None) as bar:
        if workers == 1 or len(jobs) <= 1:
            for job in jobs:
                yield function(job)
                bar.update()
            return
        chunksize = max(1, min(16, len(jobs) // (workers * 8)))
        with multiprocessing.get_context().Pool(workers) as pool:
            for result in pool.imap_unordered(function, jobs, chunksize=chunksize):
                yield result
                bar.update()
