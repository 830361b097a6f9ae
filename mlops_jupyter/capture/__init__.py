"""Capture layer: what a tracked notebook cell ran with.

Pure-Python helpers that turn a cell's source, the process environment, the git work tree
and the notebook file into plain dataclasses and dicts. The IPython magic and the server
call into these modules; nothing here imports IPython, Tornado or other heavy packages, so
importing a submodule stays cheap.
"""
