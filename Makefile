# One entry point for people and CI.
#   make run   — build and start Frontdesk (server on its embedded SQLite in ./data)
#   make test  — everything CI checks: formatting, lints, Rust tests, API fuzzing, UI tests
#                and build, browser tests
#   make bench — the load benchmark (see docs/performance.md)

CARGO ?= cargo

.PHONY: run test bench

run:
	$(CARGO) run --release -p frontdesk-server -- --data data

test:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(CARGO) test --workspace --locked
	bash tests/fuzz/run.sh
	npm --prefix ui ci --no-audit --no-fund
	npm --prefix ui test
	npm --prefix ui run build
	bash tests/e2e/run.sh

bench:
	bash bench/run.sh
