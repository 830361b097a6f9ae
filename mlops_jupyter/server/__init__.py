"""The Jupyter server extension: REST handlers over the run store."""
