# The two commands of the README:
#   make up    install everything, start Neo4j+GDS, Redis, Celery worker and beat and the web app with demo data
#   make test  install everything, start the services the tests need, run ruff, mypy and pytest, stop them
.PHONY: up down status test bootstrap demo

up:
	bash deploy/up.sh

down:
	bash deploy/services.sh stop all

status:
	bash deploy/services.sh status all

test:
	bash deploy/test.sh

bootstrap:
	bash deploy/bootstrap.sh
