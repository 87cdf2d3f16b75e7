# The two commands a new user needs: `make demo` and `make test`. Each does all the set-up
# (npm dependencies, the Temporal CLI, the dev server) and is safe to run again.
SHELL := /bin/bash
.DEFAULT_GOAL := help
STAMP := node_modules/.okta-ocsf-installed
CLI := node dist/src/client.js

.PHONY: help install build temporal-cli dev-server dev-server-stop demo test test-unit lint audit bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

$(STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(STAMP) ## Install npm dependencies (npm ci)

build: $(STAMP) ## Compile TypeScript to dist/
	npm run build

temporal-cli: ## Find or build the Temporal CLI (cached outside the clone)
	@scripts/ensure-temporal.sh >/dev/null

dev-server: temporal-cli ## Start the Temporal dev server (SQLite file, UI on 8233) if not running
	scripts/dev-server.sh start

dev-server-stop: ## Stop the dev server started by dev-server
	scripts/dev-server.sh stop

demo: build dev-server ## Run the main job against a simulated 10,000-user tenant
	$(CLI) demo

lint: $(STAMP) ## ESLint, Prettier and the TypeScript type check
	npm run lint
	npm run typecheck

test: build temporal-cli ## Lint, then every test (unit + integration on a real dev server)
	@scripts/ensure-chromium.sh || true
	@scripts/ensure-prometheus.sh || true
	$(MAKE) --no-print-directory lint
	npx jest --ci

audit: $(STAMP) ## npm audit of the runtime dependencies (needs the registry's advisory endpoint)
	npm audit --omit=dev --audit-level=high

test-unit: $(STAMP) ## Unit tests only
	npx jest --selectProjects unit

bench: build temporal-cli ## Run the benchmark scenarios (see bench/README.md)
	node dist/bench/run.js

clean: ## Remove build output and local state
	rm -rf dist out .okta-ocsf test-artifacts
