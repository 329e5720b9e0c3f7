"""Shared kernel: errors, the actor of a use case."""
