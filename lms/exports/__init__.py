"""Exports: what coordinators take away (CSV/XLSX files, streamed or built by Celery, and
the JSON endpoint ``/api/v1/coordinacion/inscripciones/``). Its front door is ``api.py``.
"""
