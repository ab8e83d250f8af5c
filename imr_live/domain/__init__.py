"""The IMR Live domain: plain async Python, no web framework imports."""
