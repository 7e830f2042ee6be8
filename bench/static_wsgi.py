"""The project's WSGI application with its static files served by Django itself, for benchmarks that drive a
browser against gunicorn (production puts a TLS proxy serving `collectstatic`'s folder in front instead)."""

from django.contrib.staticfiles.handlers import StaticFilesHandler

from investigations.wsgi import application as project

application = StaticFilesHandler(project)
