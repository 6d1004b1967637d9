"""The engine: documents in, cited answers out. It knows nothing of Discord."""

import os

# The OpenMP threads the model and FAISS run on sleep while they wait for one another instead
# of spinning (libgomp's default). On a host where another process holds a core, spinning made
# each question's encoding 25 times slower: 666 ms against 26 ms with two busy processes on 2
# cores (`python benchmarks/busy_host.py`). OpenMP reads this once, when it loads, so it is set
# before any module of the engine imports FAISS or the model; the environment can override it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
