"""The `agora` command line: main.py parses and dispatches; one module per command family
(up.py, check.py, refresh.py for refresh and status)."""
