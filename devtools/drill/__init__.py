"""Restore drills: the local point-in-time recovery drill (restore.py) that mirrors scripts/restore_drill.sh."""
