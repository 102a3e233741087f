"""A geospatial model-runner worker: queued image requests in, geolocated GeoJSON features out."""

__version__ = "0.1.0"
