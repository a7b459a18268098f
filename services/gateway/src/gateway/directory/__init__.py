"""The directory (issue #18): organisations, who holds which role in which, and who may change that."""
