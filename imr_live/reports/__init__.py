"""Supervisor review and program reports, derived only from the stored session log.

Plain Python over ``LogEvent`` lists: no web stack here; the edges call in.
"""
