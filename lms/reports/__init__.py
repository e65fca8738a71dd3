"""What is left of ``reports``, which became ``coordination``, ``exports`` and
``notifications``: no models and no code, only its migrations.

It stays in ``INSTALLED_APPS`` because Django needs the old app's migration history to move
state: ``reports.0001_initial`` created the tables ``reports_exportjob`` and
``reports_notification``, which the new apps adopt without touching them (their
``0001_initial`` creates the models in the migration state only), and
``reports.0002_models_moved_out`` then removes the models from this app's state. Every
installation upgrades with ``migrate`` alone. This app can go once those migrations are
squashed away (every installation has applied them).
"""
