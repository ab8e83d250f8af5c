"""IMR Live: real-time session server for remote Illness Management and Recovery work."""
