"""Logic behind the cookiecutter hooks, importable so it is unit-tested like any other code.

The hook files in ``hooks/`` only locate this package and call it.
"""
