"""The worker process: wiring, the polling loop, heartbeats and graceful shutdown."""
