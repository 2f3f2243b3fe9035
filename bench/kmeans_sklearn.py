"""scikit-learn's KMeans on the benchmark's blobs (raw float64, row-major), for bench/run.ts.

argv: data file, n, d, k, n_init, max_iter, seed. Prints one JSON line: seconds (the fit only), inertia,
iterations, threads.
"""
import json
import sys
import time

import numpy as np
from sklearn.cluster import KMeans

path, n, d, k, n_init, max_iter, seed = sys.argv[1:8]
X = np.fromfile(path, dtype=np.float64).reshape(int(n), int(d))
model = KMeans(n_clusters=int(k), init="k-means++", n_init=int(n_init), max_iter=int(max_iter),
               random_state=int(seed), algorithm="lloyd")
t0 = time.perf_counter()
model.fit(X)
seconds = time.perf_counter() - t0
try:
    from threadpoolctl import threadpool_info
    threads = max((p.get("num_threads", 1) for p in threadpool_info()), default=1)
except Exception:  # threadpoolctl is optional
    threads = None
print(json.dumps({"seconds": seconds, "inertia": float(model.inertia_), "iterations": int(model.n_iter_),
                  "threads": threads, "version": __import__("sklearn").__version__}))
