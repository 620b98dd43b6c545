"""The instructor's tools: a class report from many results files, and a live workshop board.

    python -m graders report FILES_OR_DIRS... [--csv OUT.csv] [--html OUT.html]
    python -m graders board [--port 8000] [--lan] [--db board.sqlite3]

Both read the results file the graders write (graders/README.md documents it) and share one model of a class
(classroom.py), so the board's CSV export and the report's CSV are the same file. Standard library only.
"""
