"""Adapters for AWS services: each takes an injected boto3 client and raises the worker's own errors."""
