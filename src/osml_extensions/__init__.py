"""The extension registry: which handler pair processes a request, chosen by request type."""
