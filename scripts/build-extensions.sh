#!/usr/bin/env bash
# Builds the extension sets the integration tests can run PostgreSQL 15 with
# (test/harness/pgcron.ts, StartOptions.set):
#
#   debian  Debian's own pg_cron 1.4.2 in /usr/lib/postgresql/15: nothing to build.
#   pinned  pg_cron 1.6.4 + pg_net 0.11.0, the versions Supabase pins, and pgmq 1.4.4
#           (Supabase Queues; SQL only, for the hub's fanned-out check cycle).
#   latest  pg_cron 1.6.7 + pg_net 0.20.5, the latest tags (pg_net 0.20.5 calls itself 0.20.4).
#
# Usage: scripts/build-extensions.sh [SET...]        (default: pinned latest)
#
# A set is a copy of Debian's PostgreSQL 15 (/usr/lib/postgresql/15 and
# /usr/share/postgresql/15, laid out as <root>/usr/lib/postgresql/15 and
# <root>/usr/share/postgresql/15) with the set's extensions built into it with PGXS.
# Debian's tree is relocatable: the copied bin/postgres and bin/pg_config find lib/ and
# share/ relative to themselves, so the copy's pg_config installs into the copy and
# Debian's own pg_cron is never touched.
#
# Sources: the release archives listed in scripts/extensions.sha256, taken from
#   1. $JOBMON_EXT_ARCHIVES, when set;
#   2. the read-only vendor directory of the shared folder that sits beside the
#      repository on developer and CI machines;
#   3. earlier downloads in <cache>/archives;
#   4. else downloaded with curl from the projects' GitHub tag archives.
# Every archive must match its checksum in scripts/extensions.sha256: a mismatch stops
# the build.
#
# Cache: ${JOBMON_EXT_CACHE:-${TMPDIR:-/tmp}/jobmon-ext-<uid>}/<set>-<key>, where <key>
# hashes the recipe version below, the set's archive checksums and Debian's
# `postgres --version`. test/harness/pgcron.ts computes the same path (keep the two in
# step). A set is built in a scratch directory and published with one rename, so a
# half-built set is never used; a lock file (flock) keeps two callers from building the
# same set at once. A set already built is reused: a second run does nothing.
#
# Needs: postgresql-15, postgresql-server-dev-15, libcurl4-openssl-dev, make, gcc
# (scripts/test.sh installs them when it runs as root).
set -euo pipefail
umask 022

# Bump when the way a set is built changes (test/harness/pgcron.ts reads this line).
RECIPE_VERSION=1

REPO=$(cd "$(dirname "$0")/.." && pwd)
SUMS=$REPO/scripts/extensions.sha256
PG_LIB=/usr/lib/postgresql/15
PG_SHARE=/usr/share/postgresql/15
SYS_PG_CONFIG=$PG_LIB/bin/pg_config
CACHE=${JOBMON_EXT_CACHE:-${TMPDIR:-/tmp}/jobmon-ext-$(id -u)}
VENDOR=$(dirname "$REPO")/shared/vendor
MARKER=jobmon-extension-set.txt

die() {
  echo "build-extensions: $*" >&2
  exit 1
}

set_archives() {
  case $1 in
    pinned) echo "pg_cron-1.6.4 pg_net-0.11.0 pgmq-1.4.4" ;;
    latest) echo "pg_cron-1.6.7 pg_net-0.20.5" ;;
    *) die "unknown set '$1' (sets: debian pinned latest)" ;;
  esac
}

download_url() {
  local name=$1 version=${1##*-}
  case $name in
    pg_cron-*) echo "https://github.com/citusdata/pg_cron/archive/refs/tags/v$version.tar.gz" ;;
    pg_net-*) echo "https://github.com/supabase/pg_net/archive/refs/tags/v$version.tar.gz" ;;
    pgmq-*) echo "https://github.com/pgmq/pgmq/archive/refs/tags/v$version.tar.gz" ;;
    *) die "no download address known for $name" ;;
  esac
}

# The line of scripts/extensions.sha256 for an archive ("<sha256>  <name>.tar.gz").
sum_line() {
  local line
  line=$(grep -E "^[0-9a-f]{64}  $1\.tar\.gz\$" "$SUMS" || true)
  [[ -n $line ]] || die "$SUMS has no checksum for $1.tar.gz"
  echo "$line"
}

verify() {
  local file=$1 name=$2 expected actual
  expected=$(sum_line "$name" | cut -d' ' -f1)
  actual=$(sha256sum "$file" | cut -d' ' -f1)
  [[ $actual == "$expected" ]] ||
    die "checksum mismatch for $file: expected $expected (scripts/extensions.sha256), got $actual"
}

# Prints the path of a verified archive for NAME (e.g. pg_cron-1.6.4).
find_archive() {
  local name=$1 file=$1.tar.gz dir
  for dir in "${JOBMON_EXT_ARCHIVES:-}" "$VENDOR" "$CACHE/archives"; do
    if [[ -n $dir && -f $dir/$file ]]; then
      verify "$dir/$file" "$name"
      echo "$dir/$file"
      return
    fi
  done
  local url part
  url=$(download_url "$name")
  mkdir -p "$CACHE/archives"
  part=$CACHE/archives/$file.part.$$
  echo "build-extensions: $file not found locally: downloading $url" >&2
  curl -fsSL --retry 3 --connect-timeout 20 -o "$part" "$url" || {
    rm -f "$part"
    die "could not download $url (set JOBMON_EXT_ARCHIVES to a directory holding $file)"
  }
  if ! (verify "$part" "$name"); then
    rm -f "$part"
    exit 1
  fi
  mv -f "$part" "$CACHE/archives/$file"
  echo "$CACHE/archives/$file"
}

# The cache key of a set; test/harness/pgcron.ts (extensionSetRoot) hashes the same text.
set_key() {
  local archive
  {
    echo "recipe $RECIPE_VERSION"
    for archive in $(set_archives "$1"); do sum_line "$archive"; done
    "$PG_LIB/bin/postgres" --version
  } | sha256sum | cut -c1-16
}

check_prerequisites() {
  [[ -x $PG_LIB/bin/postgres && -x $SYS_PG_CONFIG ]] ||
    die "PostgreSQL 15 is not installed ($PG_LIB/bin/postgres): apt-get install postgresql-15"
  [[ -f $SUMS ]] || die "$SUMS is missing"
  command -v flock >/dev/null || die "flock is missing (util-linux)"
}

# Only needed when a set must be built: a set already in the cache needs none of these.
check_build_tools() {
  [[ -f $($SYS_PG_CONFIG --includedir-server)/postgres.h ]] ||
    die "the PostgreSQL 15 server headers are missing: apt-get install postgresql-server-dev-15"
  if [[ ! -f /usr/include/curl/curl.h ]] && ! compgen -G "/usr/include/*/curl/curl.h" >/dev/null; then
    die "libcurl's headers are missing (pg_net needs them): apt-get install libcurl4-openssl-dev"
  fi
  local tool
  for tool in make gcc tar; do
    command -v "$tool" >/dev/null || die "$tool is missing: apt-get install make gcc"
  done
}

prepare_cache() {
  mkdir -p "$CACHE"
  [[ -d $CACHE && ! -L $CACHE && -O $CACHE ]] || die "$CACHE is not a directory owned by $(id -un): remove it"
  # The postgres OS user runs the servers and must reach the sets.
  chmod 755 "$CACHE"
}

STAGING=
cleanup() {
  if [[ -n $STAGING ]]; then
    rm -rf "$STAGING" "$STAGING.log"
  fi
}
trap cleanup EXIT

# Runs inside a subshell with its output going to the build log.
build_into() {
  local set=$1 staging=$2 archive name pgc flag dir extra
  local -a archives=()
  for name in $(set_archives "$set"); do archives+=("$(find_archive "$name")"); done

  echo "== copying $PG_LIB and $PG_SHARE into $staging"
  mkdir -p "$staging/usr/lib/postgresql" "$staging/usr/share/postgresql"
  cp -a "$PG_LIB" "$staging/usr/lib/postgresql/15"
  cp -a "$PG_SHARE" "$staging/usr/share/postgresql/15"

  # Everything `make install` may write to must be inside the copy.
  pgc=$staging/usr/lib/postgresql/15/bin/pg_config
  for flag in --bindir --pkglibdir --sharedir --docdir --pkgincludedir --includedir-server; do
    dir=$("$pgc" "$flag")
    [[ $dir == "$staging"/* ]] || {
      echo "the copy's pg_config $flag is $dir, outside the copy: Debian's tree is not relocatable here"
      return 1
    }
  done
  [[ $("$pgc" --pkglibdir) == "$staging/usr/lib/postgresql/15/lib" ]] || {
    echo "unexpected pkglibdir of the copy: $("$pgc" --pkglibdir)"
    return 1
  }

  # Compiling reads Debian's headers and links against Debian's libpq (read only);
  # installing writes only below the copy. No LLVM bitcode: JIT does not need it.
  local -a build_vars=(
    "PG_CONFIG=$pgc" with_llvm=no
    "includedir=$($SYS_PG_CONFIG --includedir)"
    "pkgincludedir=$($SYS_PG_CONFIG --pkgincludedir)"
    "libdir=$($SYS_PG_CONFIG --libdir)"
  )
  local -a install_vars=("PG_CONFIG=$pgc" with_llvm=no)

  mkdir -p "$staging/src"
  for archive in "${archives[@]}"; do
    name=$(basename "$archive" .tar.gz)
    echo "== building $name ($archive)"
    tar -xzf "$archive" -C "$staging/src"
    dir=$staging/src/$name
    # pgmq keeps its extension (SQL only) in a subdirectory of its repository.
    [[ $name == pgmq-* ]] && dir=$dir/pgmq-extension
    [[ -f $dir/Makefile ]] || {
      echo "$archive does not untar into $name/"
      return 1
    }
    extra=()
    case $name in
      # pg_net 0.11 compiles with -Werror, so a warning that a newer compiler adds would
      # stop the build: its own flags minus -Werror (a make variable; the sources stay as released).
      pg_net-0.11.*) extra=("PG_CFLAGS=-std=c11 -Wno-declaration-after-statement") ;;
    esac
    make -C "$dir" -j2 "${build_vars[@]}" "${extra[@]}"
    make -C "$dir" install "${install_vars[@]}" "${extra[@]}"
    case $name in
      # Debian's bitcode of pg_cron 1.4 would describe another pg_cron than the one installed.
      pg_cron-*) rm -rf "$staging/usr/lib/postgresql/15/lib/bitcode/pg_cron" \
                        "$staging/usr/lib/postgresql/15/lib/bitcode/pg_cron.index.bc" ;;
    esac
  done
  rm -rf "$staging/src"

  echo "== checking the installed versions"
  local share=$staging/usr/share/postgresql/15/extension lib=$staging/usr/lib/postgresql/15/lib
  grep -H default_version "$share/pg_cron.control" "$share/pg_net.control"
  if [[ " $(set_archives "$set") " == *" pgmq-"* ]]; then
    grep -H default_version "$share/pgmq.control"
    compgen -G "$share/pgmq--*.sql" >/dev/null || {
      echo "pgmq's SQL is missing from $share"
      return 1
    }
  fi
  [[ -f $lib/pg_cron.so && -f $lib/pg_net.so ]] || {
    echo "pg_cron.so or pg_net.so missing from $lib"
    return 1
  }
  "$staging/usr/lib/postgresql/15/bin/postgres" --version

  {
    echo "set: $set"
    echo "recipe: $RECIPE_VERSION"
    echo "postgres: $("$PG_LIB/bin/postgres" --version)"
    for name in $(set_archives "$set"); do echo "archive: $(sum_line "$name")"; done
    echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  } >"$staging/$MARKER"
  chmod -R a+rX "$staging"
}

build_set() {
  local set=$1 key root lock_fd started log status
  key=$(set_key "$set")
  root=$CACHE/$set-$key
  if [[ -f $root/$MARKER ]]; then
    echo "$set: $root (cached)"
    return
  fi
  exec {lock_fd}>"$root.lock"
  flock "$lock_fd"
  if [[ -f $root/$MARKER ]]; then
    exec {lock_fd}>&-
    echo "$set: $root (built by another process meanwhile)"
    return
  fi
  check_build_tools
  # Leftovers of an interrupted build of this set (nobody else holds the lock).
  rm -rf "$root" "$root".staging.*
  started=$SECONDS
  STAGING=$(mktemp -d "$root.staging.XXXXXX")
  log=$STAGING.log
  echo "build-extensions: building the '$set' set ($(set_archives "$set")) in $STAGING (log: $log)" >&2
  set +e
  (
    set -euo pipefail
    build_into "$set" "$STAGING"
  ) >"$log" 2>&1
  status=$?
  set -e
  if [[ $status -ne 0 ]]; then
    {
      echo "build-extensions: building the '$set' set failed (exit $status). Last lines of $log:"
      tail -n 40 "$log" | sed 's/^/  | /'
    } >&2
    # The log stays for a closer look; the next build of this set removes it.
    rm -rf "$STAGING"
    STAGING=
    exit 1
  fi
  chmod 755 "$STAGING"
  mv -T "$STAGING" "$root"
  rm -f "$log"
  STAGING=
  exec {lock_fd}>&-
  echo "$set: $root (built in $((SECONDS - started)) s)"
}

main() {
  local -a sets=("$@")
  [[ ${#sets[@]} -gt 0 ]] || sets=(pinned latest)
  local set
  for set in "${sets[@]}"; do
    case $set in
      debian) ;;
      pinned | latest) ;;
      *) die "unknown set '$set' (sets: debian pinned latest)" ;;
    esac
  done
  check_prerequisites
  prepare_cache
  for set in "${sets[@]}"; do
    if [[ $set == debian ]]; then
      echo "debian: $PG_LIB (Debian's packages, nothing to build)"
    else
      build_set "$set"
    fi
  done
}

main "$@"
