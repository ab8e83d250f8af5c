"""The phone gateway: callers on SIP take part in a live session like anyone else."""
