"""Helpers of benchmarks/bench_serve.py: load and fault tests of `ncasr serve` on loopback.

Modules: process (the server as a child process: start, CPU time, RSS, kill), clients (the
good clients: K concurrent real-time streams and their latencies), faults (clients that
break the protocol or vanish, and the churn of bare connections), stats (percentiles and
markdown tables).
"""
