# Backups and restores (docs/operations.md).

BACKUP_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/taskboard
RESTORE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/taskboard_restored
EVENT_ARCHIVE_DIR ?= $(ROOT)/var/event-archives
BACKUP_ROOT ?= $(ROOT)/var/backups

.PHONY: backup
backup: install ## pg_dump (custom format) + event archives + checksums into var/backups/<UTC time>/
	$(PYTHON) scripts/backup.py backup --database-url "$(BACKUP_DATABASE_URL)" \
		--to "$(BACKUP_ROOT)/$$(date -u +%Y%m%dT%H%M%SZ)" --archives "$(EVENT_ARCHIVE_DIR)"

.PHONY: restore
restore: install ## Restore BACKUP=<folder> into a new database (RESTORE_DATABASE_URL), then verify it
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=var/backups/<time>"; exit 2; }
	$(PYTHON) scripts/backup.py restore --from "$(BACKUP)" --database-url "$(RESTORE_DATABASE_URL)"
	$(PYTHON) scripts/backup.py verify --from "$(BACKUP)" --database-url "$(RESTORE_DATABASE_URL)"

.PHONY: backup-verify
backup-verify: install ## Re-check a restored database (BACKUP=<folder>) against its backup's manifest
	$(PYTHON) scripts/backup.py verify --from "$(BACKUP)" --database-url "$(RESTORE_DATABASE_URL)"
