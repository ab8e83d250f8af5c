"""SFU workers behind Redis: placement of rooms, RPC from web nodes, the worker process."""
