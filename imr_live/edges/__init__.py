"""Edges: translate HTTP, Socket.IO and the command line into domain calls."""
