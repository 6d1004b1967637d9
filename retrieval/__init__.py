"""The engine: documents in, cited answers out. It knows nothing of Discord."""

import os

# The OpenMP threads FAISS runs on (and the model, when it runs on torch: [model] runtime =
# "torch") spin for a while when they wait for one another, then sleep. libgomp's default
# spin (300,000 turns, about 3 ms) is long enough that beside another busy process (`citebot
# index` embedding documents next to the bot, another bot) waiting threads burn each other's
# time slices: a question's encoding on torch took 42 to 490 ms instead of about 20 on 2 cores. 10,000 turns keep an idle host's speed and cut that to 41 to
# 65 ms; not spinning at all (OMP_WAIT_POLICY=PASSIVE) does better under load (21 to 46 ms) but
# made an idle answer 10 ms slower (`python benchmarks/busy_host.py`, README "On a busy host").
# OpenMP reads this once, when it loads, so it is set before any module of the engine imports
# FAISS or the model; a policy or spin count set in the environment is left as it is.
if "OMP_WAIT_POLICY" not in os.environ:
    os.environ.setdefault("GOMP_SPINCOUNT", "10000")
