"""A SynBirds rendering worker process: ``python -m attngan_tf.synbirds.render_worker JOBS RECORDS``.

Started by :func:`attngan_tf.synbirds.build.materialize` (one per worker); renders
the jobs listed in the JSON file ``JOBS`` and writes one JSON record per line to
``RECORDS``. A module of its own, not imported by the package, so that running
it never imports the caller's main module or re-imports itself.
"""

import sys

from .build import render_jobs

if __name__ == "__main__":
    render_jobs(*sys.argv[1:3])
