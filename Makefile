# One entry point for people and CI.
#   make run   — build and start Frontdesk: the server on its embedded SQLite in ./data with
#                the demo site, and the operator desktop app on it
#   make test  — everything CI checks: formatting, lints, Rust tests (store and API suites on
#                SQLite and on PostgreSQL), API fuzzing, UI tests and build, browser tests of
#                the widget, the desktop app end to end
#   make bench — the load benchmark (see docs/performance.md)
#   make bench-store — the SQLite writer alone, in process; ends with `store: N msg/s`

CARGO ?= cargo

.PHONY: run test bench bench-store

run:
	bash scripts/run.sh

test:
	$(CARGO) fmt --all -- --check
	npm --prefix ui ci --no-audit --no-fund
	npm --prefix ui test
	npm --prefix ui run build
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(CARGO) test --workspace --locked
	# The API suite again on PostgreSQL (the store's own suite runs both backends itself;
	# the cluster tests always use PostgreSQL and ran in the first pass).
	FRONTDESK_TEST_BACKEND=postgres $(CARGO) test -p frontdesk-server --locked --test api -- --skip cluster::
	bash tests/fuzz/run.sh
	bash tests/e2e/run.sh
	bash tests/desktop/run.sh

bench:
	bash bench/run.sh

bench-store:
	$(CARGO) bench -p frontdesk-store --bench store --locked
