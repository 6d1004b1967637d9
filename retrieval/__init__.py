"""The engine: documents in, cited answers out. It knows nothing of Discord."""

import os

# The OpenMP threads the model and FAISS run on sleep while they wait for one another instead
# of spinning (libgomp's default). With another process busy on the host (`citebot index`
# embedding documents beside the bot, another bot), spinning threads wait out each other's
# time slices: a question's encoding took 42 to 480 ms (p95 up to 500 ms) against 21 to 27 ms
# sleeping, on 2 cores; idle, sleeping costs 3 to 7 ms (`python benchmarks/busy_host.py`).
# OpenMP reads this once, when it loads, so it is set before any module of the engine imports
# FAISS or the model; the environment can override it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
