"""Parts of the benchmark suite (bench/run.py): modules with run(ctx). See bench/README.md."""
