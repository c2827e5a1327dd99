"""The technician's offline app (built from `pwa/` into `pwa/dist/`), served at `/app/`."""
from backend.pwa.views import bp

__all__ = ["bp"]
