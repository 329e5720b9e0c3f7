"""calendar: working days (工作日) under the State Council holiday schedule — ``workdays`` (the arithmetic),
``schedule`` (the yearly schedule file format), ``service`` (admin loading, building the calendar from the DB).
"""
