"""Serving: the Redis server and connection, the index and its search, profiles, feedback, and the
service facade the pages call."""
