"""refcheck: find dead, moved and changed evidence links in REF impact case studies."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("refcheck")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
