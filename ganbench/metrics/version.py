"""The version of the metrics' definitions, apart from the metrics (so that a run id needs no scoring code)."""

# Bumped whenever a metric's definition changes, so records scored the old way are never reused.
METRICS_VERSION = 4  # 4: structure (low-pass FID); 3: density/coverage balls are open (distance < radius)
