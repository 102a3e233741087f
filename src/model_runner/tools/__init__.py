"""Operator and model-developer tools: submit, status, preview, check-model.

They work against a deployed stack through boto3 (the same settings the worker reads) and never
import the local stack; the command line connects them to it for ``--local``.
"""
