"""Root pytest configuration: which source modules the doctest collector may import."""

collect_ignore_glob = ["src/linkwork/web/*", "src/linkwork/scale/spark*"]
