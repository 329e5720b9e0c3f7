"""Sharing credit records with the national and provincial platforms (信用信息共享交换): full set, then increments."""
