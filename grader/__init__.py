"""Autograder for the neural-network fundamentals course (see README.md)."""
__version__ = "0.1.0"
