"""Compatibility modules: the import paths of the reference OversightML Model Runner that
extension code uses, so such code imports unchanged. Only the handler base classes are offered;
see docs/compatibility.md."""
