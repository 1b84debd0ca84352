#!/usr/bin/env bash
# Runs jobmon's whole test suite: the live suite (test/supabase: pg_cron 1.6 and pg_net as
# Supabase runs them), unit, integration and e2e tests.
#
# Integration tests start their own throwaway PostgreSQL 15 clusters with pg_cron
# (test/harness/pgcron.ts); no server needs to be running. This script only makes sure
# PostgreSQL 15 and pg_cron are installed, with what it takes to build the pg_cron 1.6 +
# pg_net extension sets (scripts/build-extensions.sh, run before the tests) and pgbouncer.
set -euo pipefail
cd "$(dirname "$0")/.."

# First, before anything rebuilds: the committed generated files (the embedded migrations and
# the Edge Function bundle, deployed as committed) must match their sources.
node scripts/check-generated.mjs

PG_CRON_SO=/usr/lib/postgresql/15/lib/pg_cron.so
PACKAGES=(postgresql-15 postgresql-15-cron)

install_postgres() {
  echo "scripts/test.sh: $PG_CRON_SO is missing: installing ${PACKAGES[*]} with apt-get" >&2
  local had_main_cluster=no
  [[ -d /etc/postgresql/15/main ]] && had_main_cluster=yes
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${PACKAGES[@]}"
  # The package creates (and may start) a 'main' cluster on port 5432. The tests do not
  # use it: drop it again if this install created it, so no server is left running.
  if [[ $had_main_cluster == no && -d /etc/postgresql/15/main ]]; then
    pg_dropcluster --stop 15 main
  fi
}

# JOBMON_PG_BIN (another PostgreSQL 15 with pg_cron) skips the Debian package check.
if [[ -z ${JOBMON_PG_BIN:-} && ! -f $PG_CRON_SO ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    install_postgres
  else
    echo "scripts/test.sh: the tests need PostgreSQL 15 with pg_cron ($PG_CRON_SO is missing)." >&2
    echo "Install them as root, e.g.: sudo apt-get install ${PACKAGES[*]}" >&2
    echo "(elsewhere, point JOBMON_PG_BIN at a PostgreSQL 15 bin directory that has pg_cron)." >&2
    exit 1
  fi
fi

# Building the extension sets (pg_cron 1.6 and pg_net with PGXS) and the pooler tests.
BUILD_PACKAGES=(postgresql-server-dev-15 libcurl4-openssl-dev pgbouncer make gcc)

package_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing_build_packages=()
for package in "${BUILD_PACKAGES[@]}"; do
  package_installed "$package" || missing_build_packages+=("$package")
done
if [[ ${#missing_build_packages[@]} -gt 0 ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    echo "scripts/test.sh: installing ${missing_build_packages[*]} with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing_build_packages[@]}"
    # Where an init system runs, the package starts a pgbouncer service (port 6432). The tests
    # start their own: leave no server running.
    if [[ " ${missing_build_packages[*]} " == *" pgbouncer "* ]]; then
      invoke-rc.d pgbouncer stop >/dev/null 2>&1 || true
    fi
  else
    # Sets already built (in the cache) need none of them: build-extensions.sh says when it does.
    echo "scripts/test.sh: ${missing_build_packages[*]} not installed (install them as root, e.g." >&2
    echo "  sudo apt-get install ${missing_build_packages[*]})" >&2
  fi
fi

CHROMIUM=/usr/bin/chromium

# The dashboard tests (test/e2e/dashboard.test.ts) drive Debian's Chromium with playwright-core.
if [[ ! -x $CHROMIUM ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    echo "scripts/test.sh: $CHROMIUM is missing: installing chromium with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y chromium
  else
    echo "scripts/test.sh: the dashboard tests need Chromium ($CHROMIUM is missing)." >&2
    echo "Install it as root, e.g.: sudo apt-get install chromium" >&2
    exit 1
  fi
fi

npm run build

# pg_cron 1.6.4 + pg_net 0.11.0 and pg_cron 1.6.7 + pg_net 0.20.5 (StartOptions.set of the
# harness); a no-op when they are already built.
bash scripts/build-extensions.sh

shopt -s nullglob
# The live suite first: it runs for about three minutes of wall clock (pg_cron runs its jobs on
# the minute), mostly waiting, while the other files share the other slots. Most files wait on
# PostgreSQL or on the processes they start as much as they compute: three slots beside the
# live suite keep two cores busy. The longest files start first (the end-to-end ones, which
# run the CLI as processes), the short unit files last, where they fill the gaps: started
# last, a long file would keep the run going alone.
test_files=(test/supabase/*.test.ts test/e2e/*.test.ts test/integration/*.test.ts test/unit/*.test.ts)
if [[ ${#test_files[@]} -eq 0 ]]; then
  echo "scripts/test.sh: no test files found" >&2
  exit 1
fi

node --import tsx --test --test-concurrency=4 "${test_files[@]}"
