"""s2s-embed: compare word embeddings in a common LSTM encoder-decoder."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("s2s-embed")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
