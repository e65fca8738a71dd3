"""Coordination: what coordinators see and do under /coordinacion/ (dashboards, the at-risk
list, the grupo, sede and course pages, the learner's file). Its front door is ``api.py``.
"""
