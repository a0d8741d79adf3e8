"""Running cadrebot in production: one active instance (a database lease), health and metrics
over HTTP, operator alerts, JSON logs, backups. Nothing here is a feature users see."""
