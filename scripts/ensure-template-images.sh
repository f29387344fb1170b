#!/usr/bin/env bash
# Builds local stand-ins for the upstream images the curated templates use
# (crates/catalog/templates), tagged with the templates' exact image references, so that
# crates/cli/tests/templates.rs can deploy the templates with no registry. Each stand-in is
# FROM scratch: Debian's real server binaries with the shared libraries they link, busybox-static
# for the shell tools, and a small entrypoint that honours the same environment variables as
# the official image's:
#   redis:7.4          Debian's redis-server and redis-cli (redis-tools); REDISCLI_AUTH works.
#   nginx:1.27-alpine  Debian's nginx with the official image's layout (/etc/nginx/conf.d,
#                      /usr/share/nginx/html), busybox `wget` for the healthcheck.
#   postgres:17        Debian's PostgreSQL 15 (the host's postgresql-15, which
#                      scripts/ensure-postgres.sh installs, else its unpacked packages);
#                      POSTGRES_PASSWORD/USER/DB and PGDATA → initdb
#                      with a scram-sha-256 password, the database, listen on all addresses;
#                      `psql`, `pg_isready`, `pg_dump`, `pg_dumpall` and `pg_restore` inside
#                      (the backup tests dump databases with them).
#   mariadb:11.4       Debian's mariadbd, mariadb client and mariadb-dump (`mysqldump` too, from
#                      mariadb-client); MARIADB_ROOT_PASSWORD/DATABASE/USER/
#                      PASSWORD → system tables, root@'%', the database and its user, and the
#                      official image's `healthcheck.sh --connect --innodb_initialized`.
#   gitea/gitea:1.24   NOT Gitea (Debian has no package): the postgres stand-in's psql and
#                      busybox. At start it logs into the database the GITEA__database__*
#                      variables name, with their password, then serves on :3000 /api/healthz and
#                      a page with the result and the variables it was given (`curl` is a
#                      busybox-wget shim, for the template's healthcheck).
#   wordpress:6.7-apache  NOT WordPress: the mariadb stand-in's client and busybox, the same way:
#                      logs into WORDPRESS_DB_HOST as WORDPRESS_DB_USER with its password, then
#                      serves on :80 /wp-login.php and a page with the result and
#                      WORDPRESS_CONFIG_EXTRA.
# Debian packages not installed on the host are downloaded once (.deb only, not installed) into
# $WINDFLOW_CACHE_DIR (default ~/.cache/windflow)/template-debs and unpacked there.
# Every image carries org.windflow.template-standin.recipe=r<revision>/<package>-<version>/
# busybox-<version>; an image with the current label is kept, so reruns take under a second.
# (The stand-ins' versions differ from the tags': redis 7.0, nginx 1.22, PostgreSQL 15 and
# MariaDB 10.11 answer as redis:7.4, nginx:1.27-alpine, postgres:17 and mariadb:11.4. What the
# tests check — variables, options, logins, healthchecks — is common to both.) A tag that exists
# WITHOUT that label is the real upstream image (pulled on this machine): it is kept as is, and
# the tests run it (their checks hold for the real images too), except for Gitea and WordPress,
# whose stand-ins replace it (`docker pull` restores it).
set -euo pipefail

RECIPE_REVISION=3
BUSYBOX=/bin/busybox
CACHE_DIR="${WINDFLOW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/windflow}/template-debs"
LABEL=org.windflow.template-standin.recipe

say() { echo "ensure-template-images: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

command -v docker >/dev/null 2>&1 || die "no docker CLI: run scripts/ensure-docker.sh first"
timeout 15 docker info >/dev/null 2>&1 || die "Docker engine not reachable: run scripts/ensure-docker.sh first"
[ -x "$BUSYBOX" ] || die "$BUSYBOX is missing: run scripts/ensure-test-images.sh first (it installs busybox-static)"
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo "$(uname -m)-linux-gnu")

candidate() { apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p'; }
installed() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null; }

# The version a package would be downloaded at (apt's candidate).
package_version() {
    local version
    version=$(candidate "$1")
    if [ -z "$version" ] || [ "$version" = "(none)" ]; then
        SUDO=()
        if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo -n); fi
        say "apt knows no $1 package; running apt-get update"
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || true
        version=$(candidate "$1")
    fi
    if [ -z "$version" ] || [ "$version" = "(none)" ]; then die "apt knows no $1 package"; fi
    echo "$version"
}

# Each image's label: the recipe revision, the versions of what it contains, busybox's version.
# The quick check (every run) compares only what is cheap to read: the revision, busybox's and
# the host PostgreSQL's installed versions. The Debian packages' versions (apt's candidates, a
# few seconds to ask) are recorded when an image is built, and not re-checked on each run.
BUSYBOX_VERSION=$(installed busybox-static)
# PostgreSQL comes from the host's postgresql-15 (scripts/ensure-postgres.sh installs it) when
# installed, else from its unpacked packages.
PG_VERSION=$(installed postgresql-15)
PG_PREFIX=""
if [ -z "$PG_VERSION" ] || [ ! -x /usr/lib/postgresql/15/bin/postgres ] || [ ! -x /usr/lib/postgresql/15/bin/psql ]; then
    PG_VERSION=$(package_version postgresql-15)
    PG_PREFIX=unpacked
fi
IMAGES=("redis:7.4" "nginx:1.27-alpine" "postgres:17" "mariadb:11.4" "gitea/gitea:1.24" "wordpress:6.7-apache")
declare -A PACKAGE=(
    ["redis:7.4"]=redis-tools
    ["nginx:1.27-alpine"]=nginx
    ["postgres:17"]=postgresql
    ["mariadb:11.4"]=mariadb-server-core
    ["gitea/gitea:1.24"]=postgresql
    ["wordpress:6.7-apache"]=mariadb-server-core
)
# The label to give $1 when building it now.
want_label() {
    local package="${PACKAGE[$1]}" version
    if [ "$package" = postgresql ]; then version=$PG_VERSION; else version=$(package_version "$package"); fi
    echo "r${RECIPE_REVISION}/${package}-${version}/busybox-${BUSYBOX_VERSION}"
}

# "current", "upstream" (the tag exists without our label) or "missing".
image_state() {
    local got
    got=$(docker image inspect --format "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null) || { echo missing; return; }
    if [ -z "$got" ] || [ "$got" = "<no value>" ]; then
        # The tests rely on what the Gitea and WordPress stand-ins serve: the real images are
        # replaced (`docker pull` brings them back).
        case "$1" in gitea/*|wordpress:*) echo missing ;; *) echo upstream ;; esac
        return
    fi
    local package="${PACKAGE[$1]}"
    case "$got" in
        "r${RECIPE_REVISION}/postgresql-${PG_VERSION}/busybox-${BUSYBOX_VERSION}") echo current ;;
        "r${RECIPE_REVISION}/${package}-"*"/busybox-${BUSYBOX_VERSION}")
            if [ "$package" = postgresql ]; then echo missing; else echo current; fi ;;
        *) echo missing ;;
    esac
}

all_current=1
for image in "${IMAGES[@]}"; do
    [ "$(image_state "$image")" = missing ] && all_current=0
done
if [ "$all_current" = 1 ]; then
    say "all template stand-ins are current (recipe r${RECIPE_REVISION})"
    exit 0
fi

declare -A WANT=()
for image in "${IMAGES[@]}"; do WANT[$image]=$(want_label "$image"); done

mkdir -p "$CACHE_DIR"
# Downloads (once) and unpacks a package at the candidate version into $CACHE_DIR/root.
UNPACKED="$CACHE_DIR/root"
mkdir -p "$UNPACKED"
unpack() {
    local package="$1" version deb
    version=$(package_version "$package")
    deb=$(ls "$CACHE_DIR/${package}_${version//:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
    if [ -z "$deb" ]; then
        say "downloading $package $version (.deb only, not installed) into $CACHE_DIR"
        (cd "$CACHE_DIR" && apt-get download -q "${package}=${version}" >&2) \
            || die "apt-get download $package failed"
        deb=$(ls "$CACHE_DIR/${package}_${version//:/%3a}_"*.deb | head -n1)
    fi
    if [ ! -e "$UNPACKED/.${package}-${version}" ]; then
        dpkg-deb -x "$deb" "$UNPACKED"
        touch "$UNPACKED/.${package}-${version}"
    fi
}

# Copies an executable into a rootfs at $3, with every shared library it links (and the
# loader), found on the host or among the unpacked packages, at the same paths.
copy_binary() {
    local root="$1" source="$2" target="$3" lib
    mkdir -p "$root$(dirname "$target")"
    cp -L "$source" "$root$target"
    while IFS= read -r lib; do
        case "$lib" in
            MISSING:*) die "$source needs ${lib#MISSING:}, found neither on the host nor in $UNPACKED" ;;
        esac
        local at="${lib#"$UNPACKED"}"
        [ -e "$root$at" ] && continue
        mkdir -p "$root$(dirname "$at")"
        cp -L "$lib" "$root$at"
    done < <(LD_LIBRARY_PATH="$UNPACKED/usr/lib/$MULTIARCH:$UNPACKED/lib/$MULTIARCH" ldd "$source" \
        | awk '/=> not found/ { print "MISSING:" $1; next } { for (i = 1; i <= NF; i++) if ($i ~ /^\//) { print $i; break } }')
}

# A rootfs with busybox (applet links in /bin), /tmp, /etc/passwd and /etc/group.
base_rootfs() {
    local root="$1" applet
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,tmp,root,run,var/run,var/log,proc,sys,dev}
    chmod 1777 "$root/tmp"
    cp "$BUSYBOX" "$root/bin/busybox"
    for applet in $("$BUSYBOX" --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
    done
    cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
postgres:x:999:999:postgres:/var/lib/postgresql:/bin/sh
mysql:x:998:998:mysql:/var/lib/mysql:/bin/false
redis:x:997:997:redis:/data:/bin/false
nginx:x:101:101:nginx:/var/cache/nginx:/bin/false
git:x:1000:1000:git:/data/git:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
    cat > "$root/etc/group" <<'GROUP'
root:x:0:
postgres:x:999:
mysql:x:998:
redis:x:997:
nginx:x:101:
git:x:1000:
nogroup:x:65534:
GROUP
    echo "hosts: files dns" > "$root/etc/nsswitch.conf"
}

# Builds $1 from the directory $2 (a rootfs/ and a Dockerfile), then runs the smoke test $3.
build() {
    local image="$1" work="$2" smoke="$3"
    say "building $image (stand-in, ${WANT[$image]})"
    DOCKER_BUILDKIT=0 docker build -q -t "$image" "$work" >/dev/null 2>"$work/build.log" \
        || { cat "$work/build.log" >&2; die "docker build of $image failed"; }
    if ! docker run --rm --network none --entrypoint sh "$image" -c "$smoke" >&2; then
        docker image rm "$image" >/dev/null 2>&1 || true
        die "smoke test of $image failed"
    fi
    say "built $image ($(docker image inspect --format '{{.Id}}' "$image" | cut -c1-19))"
}

dockerfile() {
    local image="$1"
    shift
    printf 'FROM scratch\nCOPY rootfs /\nENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nLABEL %s="%s"\n' "$LABEL" "${WANT[$image]}"
    printf '%s\n' "$@"
}

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

wanted() {
    case "$(image_state "$1")" in
        current) say "$1 is current (${WANT[$1]})"; return 1 ;;
        upstream) say "$1 exists without the stand-in label (the upstream image): kept"; return 1 ;;
    esac
    return 0
}

# --- redis:7.4 -------------------------------------------------------------------------------
image="redis:7.4"
if wanted "$image"; then
    unpack redis-tools
    unpack liblzf1
    work="$WORK/redis"; root="$work/rootfs"
    base_rootfs "$root"
    # Debian's redis-server is redis-check-rdb under another name (the name picks the mode).
    copy_binary "$root" "$UNPACKED/usr/bin/redis-check-rdb" /usr/local/bin/redis-server
    copy_binary "$root" "$UNPACKED/usr/bin/redis-cli" /usr/local/bin/redis-cli
    mkdir -p "$root/data"
    cat > "$root/usr/local/bin/docker-entrypoint.sh" <<'SH'
#!/bin/sh
# Stand-in for the official entrypoint: options alone mean `redis-server <options>`.
set -e
case "$1" in -*|*.conf) set -- redis-server "$@" ;; esac
exec "$@"
SH
    chmod +x "$root/usr/local/bin/docker-entrypoint.sh"
    dockerfile "$image" 'WORKDIR /data' 'EXPOSE 6379' \
        'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["redis-server"]' > "$work/Dockerfile"
    build "$image" "$work" 'redis-server --version && redis-cli --version'
fi

# --- nginx:1.27-alpine -----------------------------------------------------------------------
image="nginx:1.27-alpine"
if wanted "$image"; then
    unpack nginx
    unpack nginx-common
    work="$WORK/nginx"; root="$work/rootfs"
    base_rootfs "$root"
    copy_binary "$root" "$UNPACKED/usr/sbin/nginx" /usr/sbin/nginx
    mkdir -p "$root"/etc/nginx/conf.d "$root"/usr/share/nginx/html "$root"/var/lib/nginx "$root"/var/log/nginx "$root"/var/cache/nginx
    cp "$UNPACKED/etc/nginx/mime.types" "$root/etc/nginx/mime.types"
    ln -sf /dev/stdout "$root/var/log/nginx/access.log"
    ln -sf /dev/stderr "$root/var/log/nginx/error.log"
    # The official image's nginx.conf and default server.
    cat > "$root/etc/nginx/nginx.conf" <<'CONF'
user  nginx;
worker_processes  auto;
error_log  /var/log/nginx/error.log notice;
pid        /var/run/nginx.pid;
events {
    worker_connections  1024;
}
http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;
    access_log  /var/log/nginx/access.log;
    sendfile        on;
    keepalive_timeout  65;
    include /etc/nginx/conf.d/*.conf;
}
CONF
    cat > "$root/etc/nginx/conf.d/default.conf" <<'CONF'
server {
    listen       80;
    server_name  localhost;
    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }
}
CONF
    cat > "$root/usr/share/nginx/html/index.html" <<'HTML'
<!DOCTYPE html>
<html><head><title>Welcome to nginx!</title></head>
<body><h1>Welcome to nginx!</h1><p>(WindFlow's local stand-in, Debian's nginx.)</p></body></html>
HTML
    dockerfile "$image" 'EXPOSE 80' 'STOPSIGNAL SIGQUIT' 'CMD ["nginx", "-g", "daemon off;"]' > "$work/Dockerfile"
    build "$image" "$work" 'nginx -t && command -v wget'
fi

# --- postgres:17 -----------------------------------------------------------------------------
postgres_rootfs() {
    local root="$1" tool from=""
    if [ "$PG_PREFIX" = unpacked ]; then
        unpack postgresql-15
        unpack postgresql-client-15
        unpack libpq5
        from="$UNPACKED"
    fi
    base_rootfs "$root"
    for tool in postgres initdb pg_ctl psql pg_isready pg_dump pg_dumpall pg_restore; do
        copy_binary "$root" "$from/usr/lib/postgresql/15/bin/$tool" "/usr/lib/postgresql/15/bin/$tool"
        ln -sf "/usr/lib/postgresql/15/bin/$tool" "$root/usr/local/bin/$tool"
    done
    # Extensions and procedural languages (plpgsql), without the LLVM JIT (JIT is then off).
    mkdir -p "$root/usr/lib/postgresql/15/lib"
    (cd "$from/usr/lib/postgresql/15/lib" && find . -maxdepth 1 -name '*.so' ! -name 'llvmjit*' -exec cp {} "$root/usr/lib/postgresql/15/lib/" \;)
    mkdir -p "$root/usr/share/postgresql" "$root/usr/share/zoneinfo"
    cp -a "$from/usr/share/postgresql/15" "$root/usr/share/postgresql/15"
    cp -a /usr/share/zoneinfo/. "$root/usr/share/zoneinfo/"
    mkdir -p "$root/var/lib/postgresql/data" "$root/var/run/postgresql"
}
image="postgres:17"
if wanted "$image"; then
    work="$WORK/postgres"; root="$work/rootfs"
    postgres_rootfs "$root"
    cat > "$root/usr/local/bin/docker-entrypoint.sh" <<'SH'
#!/bin/sh
# Stand-in for the official postgres entrypoint: the same variables, the same first start.
set -e
case "$1" in -*) set -- postgres "$@" ;; esac
if [ "$1" != postgres ]; then exec "$@"; fi
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA
# busybox su: options first, then `--` (the server's own options must not reach su), USER, ARG0.
as_postgres() { su -s /bin/sh -c 'exec "$@"' -- postgres postgres "$@"; }
mkdir -p "$PGDATA" /var/run/postgresql
chown postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "$POSTGRES_PASSWORD" ]; then
        echo "Error: Database is uninitialized and superuser password is not specified (POSTGRES_PASSWORD)." >&2
        exit 1
    fi
    printf '%s\n' "$POSTGRES_PASSWORD" > /tmp/pwfile
    chown postgres /tmp/pwfile
    as_postgres initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile=/tmp/pwfile \
        --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C >/dev/null
    rm -f /tmp/pwfile
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
    if [ "$POSTGRES_DB" != postgres ]; then
        as_postgres pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
        as_postgres psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres -q \
            -c "CREATE DATABASE \"$POSTGRES_DB\""
        as_postgres pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    fi
    echo "PostgreSQL init process complete; ready for start up."
fi
exec su -s /bin/sh -c 'exec "$@"' -- postgres postgres "$@"
SH
    chmod +x "$root/usr/local/bin/docker-entrypoint.sh"
    dockerfile "$image" 'ENV PGDATA=/var/lib/postgresql/data TZ=UTC LANG=C.UTF-8' 'EXPOSE 5432' \
        'STOPSIGNAL SIGINT' 'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["postgres"]' > "$work/Dockerfile"
    build "$image" "$work" 'postgres --version && psql --version && pg_isready --version && pg_dump --version && pg_dumpall --version && pg_restore --version'
fi

# --- mariadb:11.4 ----------------------------------------------------------------------------
image="mariadb:11.4"
if wanted "$image"; then
    unpack mariadb-server-core
    unpack mariadb-client-core
    # mariadb-dump is in mariadb-client (mariadb-client-core has only the client).
    unpack mariadb-client
    work="$WORK/mariadb"; root="$work/rootfs"
    base_rootfs "$root"
    copy_binary "$root" "$UNPACKED/usr/sbin/mariadbd" /usr/sbin/mariadbd
    copy_binary "$root" "$UNPACKED/usr/bin/mariadb" /usr/bin/mariadb
    copy_binary "$root" "$UNPACKED/usr/bin/mariadb-dump" /usr/bin/mariadb-dump
    mkdir -p "$root/usr/share/mysql" "$root/var/lib/mysql" "$root/run/mysqld" "$root/usr/lib/mysql/plugin"
    cp -a "$UNPACKED/usr/share/mysql/." "$root/usr/share/mysql/"
    cat > "$root/usr/local/bin/docker-entrypoint.sh" <<'SH'
#!/bin/sh
# Stand-in for the official mariadb entrypoint: the same variables, the same first start.
set -e
case "$1" in -*) set -- mariadbd "$@" ;; esac
if [ "$1" != mariadbd ] && [ "$1" != mysqld ]; then exec "$@"; fi
shift
DATADIR=/var/lib/mysql
mkdir -p "$DATADIR" /run/mysqld
chown mysql:mysql "$DATADIR" /run/mysqld
sql_escape() { printf '%s' "$1" | sed "s/\\\\/\\\\\\\\/g; s/'/\\\\'/g"; }
if [ ! -d "$DATADIR/mysql" ]; then
    if [ -z "$MARIADB_ROOT_PASSWORD" ]; then
        echo "[ERROR] [Entrypoint]: Database is uninitialized and password option is not specified" >&2
        echo "	You need to specify one of MARIADB_ROOT_PASSWORD, MARIADB_ROOT_PASSWORD_HASH, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD and MARIADB_RANDOM_ROOT_PASSWORD" >&2
        exit 1
    fi
    echo "[Note] [Entrypoint]: Initializing database files"
    {
        # --bootstrap reads one statement per line.
        printf '%s\n' "create database if not exists mysql;" "use mysql;" "SET @auth_root_socket=NULL;"
        cat /usr/share/mysql/mysql_system_tables.sql /usr/share/mysql/mysql_performance_tables.sql \
            /usr/share/mysql/mysql_system_tables_data.sql /usr/share/mysql/maria_add_gis_sp_bootstrap.sql
    } | mariadbd --user=mysql --bootstrap --datadir="$DATADIR" --log-warnings=0 \
        --max_allowed_packet=8M --net_buffer_length=16K >/dev/null
    mariadbd --user=mysql --datadir="$DATADIR" --skip-networking --socket=/run/mysqld/init.sock &
    pid=$!
    tries=0
    until mariadb --socket=/run/mysqld/init.sock -uroot -e 'SELECT 1' >/dev/null 2>&1; do
        tries=$((tries + 1))
        [ "$tries" -lt 60 ] || { echo "[ERROR] temporary server did not start" >&2; exit 1; }
        sleep 0.5
    done
    root_password=$(sql_escape "$MARIADB_ROOT_PASSWORD")
    health_password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    {
        echo "SET @@SESSION.SQL_LOG_BIN=0;"
        echo "DELETE FROM mysql.global_priv WHERE user='' OR host NOT IN ('localhost');"
        echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$root_password';"
        echo "CREATE USER 'root'@'%' IDENTIFIED BY '$root_password';"
        echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
        echo "CREATE USER 'healthcheck'@'127.0.0.1' IDENTIFIED BY '$health_password';"
        echo "CREATE USER 'healthcheck'@'::1' IDENTIFIED BY '$health_password';"
        echo "CREATE USER 'healthcheck'@'localhost' IDENTIFIED BY '$health_password';"
        echo "GRANT USAGE ON *.* TO 'healthcheck'@'127.0.0.1', 'healthcheck'@'::1', 'healthcheck'@'localhost';"
        if [ -n "$MARIADB_DATABASE" ]; then
            echo "CREATE DATABASE IF NOT EXISTS \`$MARIADB_DATABASE\`;"
        fi
        if [ -n "$MARIADB_USER" ] && [ -n "$MARIADB_PASSWORD" ]; then
            echo "CREATE USER '$MARIADB_USER'@'%' IDENTIFIED BY '$(sql_escape "$MARIADB_PASSWORD")';"
            if [ -n "$MARIADB_DATABASE" ]; then
                echo "GRANT ALL ON \`$MARIADB_DATABASE\`.* TO '$MARIADB_USER'@'%';"
            fi
        fi
        echo "FLUSH PRIVILEGES;"
    } | mariadb --socket=/run/mysqld/init.sock -uroot
    printf '[mariadb-client]\nport=3306\nsocket=/run/mysqld/mysqld.sock\nuser=healthcheck\npassword=%s\nprotocol=tcp\nhost=127.0.0.1\n' \
        "$health_password" > "$DATADIR/.my-healthcheck.cnf"
    chown mysql:mysql "$DATADIR/.my-healthcheck.cnf"
    chmod 600 "$DATADIR/.my-healthcheck.cnf"
    kill "$pid"
    wait "$pid" || true
    echo "[Note] [Entrypoint]: MariaDB init process done. Ready for start up."
fi
exec mariadbd --user=mysql --datadir="$DATADIR" "$@"
SH
    cat > "$root/usr/local/bin/healthcheck.sh" <<'SH'
#!/bin/sh
# Stand-in for the official image's healthcheck.sh: --connect (a TCP login as the
# healthcheck user) and --innodb_initialized (InnoDB is available).
set -e
cnf=/var/lib/mysql/.my-healthcheck.cnf
query="SELECT 1"
for arg; do
    case "$arg" in
        --innodb_initialized) query="SELECT 1 FROM information_schema.ENGINES WHERE engine='InnoDB' AND support IN ('YES','DEFAULT','ENABLED')" ;;
    esac
done
out=$(mariadb --defaults-extra-file="$cnf" -N -e "$query")
[ "$out" = 1 ]
SH
    chmod +x "$root/usr/local/bin/docker-entrypoint.sh" "$root/usr/local/bin/healthcheck.sh"
    ln -sf mariadb "$root/usr/bin/mysql"
    ln -sf mariadb-dump "$root/usr/bin/mysqldump"
    dockerfile "$image" 'EXPOSE 3306' 'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["mariadbd"]' > "$work/Dockerfile"
    build "$image" "$work" 'mariadbd --version && mariadb --version && mariadb-dump --version && mysqldump --version'
fi

# --- gitea/gitea:1.24 (a busybox + psql stand-in, not Gitea) ----------------------------------
image="gitea/gitea:1.24"
if wanted "$image"; then
    work="$WORK/gitea"; root="$work/rootfs"
    mkdir -p "$root/usr/local/bin" "$root/usr/bin" "$root/data" "$root/var/www/api"
    cat > "$root/usr/bin/curl" <<'SH'
#!/bin/sh
# Stand-in `curl`: fetches the last argument (a URL) with busybox wget, failing on HTTP errors.
for arg; do url=$arg; done
exec wget -q -O /dev/null "$url"
SH
    cat > "$root/usr/local/bin/gitea-standin" <<'SH'
#!/bin/sh
# Not Gitea: proves the template's wiring. Logs into the database named by the
# GITEA__database__* variables with their password, then serves the result and the variables.
set -u
host=${GITEA__database__HOST%:*}
port=${GITEA__database__HOST##*:}
[ "$port" = "$GITEA__database__HOST" ] && port=5432
tries=0
until PGPASSWORD="$GITEA__database__PASSWD" psql -h "$host" -p "$port" -U "$GITEA__database__USER" \
        -d "$GITEA__database__NAME" -Atc "SELECT 'database: connected as ' || current_user || ' to ' || current_database()" \
        > /tmp/database.txt 2>/tmp/database.err; do
    tries=$((tries + 1))
    if [ "$tries" -ge 60 ]; then cat /tmp/database.err >&2; exit 1; fi
    sleep 1
done
cat /tmp/database.txt
mkdir -p /data/gitea /var/www/api
echo ok > /data/gitea/standin-was-here
echo '{"status":"pass"}' > /var/www/api/healthz
{
    cat /tmp/database.txt
    env | grep '^GITEA__' | grep -v '__PASSWD=' | sort
} > /var/www/index.html
exec httpd -f -p "${GITEA__server__HTTP_PORT:-3000}" -h /var/www
SH
    chmod +x "$root/usr/bin/curl" "$root/usr/local/bin/gitea-standin"
    printf 'FROM postgres:17\nCOPY rootfs /\nLABEL %s="%s"\nEXPOSE 3000\nVOLUME /data\nENTRYPOINT ["gitea-standin"]\nCMD []\n' \
        "$LABEL" "${WANT[$image]}" > "$work/Dockerfile"
    [ "$(image_state postgres:17)" = current ] || die "gitea/gitea:1.24's stand-in is built FROM the postgres:17 stand-in, which is missing"
    build "$image" "$work" 'command -v psql && command -v curl && command -v httpd'
fi

# --- wordpress:6.7-apache (a busybox + mariadb-client stand-in, not WordPress) ----------------
image="wordpress:6.7-apache"
if wanted "$image"; then
    work="$WORK/wordpress"; root="$work/rootfs"
    mkdir -p "$root/usr/local/bin" "$root/usr/bin" "$root/var/www/html"
    cat > "$root/usr/bin/curl" <<'SH'
#!/bin/sh
# Stand-in `curl`: fetches the last argument (a URL) with busybox wget, failing on HTTP errors.
for arg; do url=$arg; done
exec wget -q -O /dev/null "$url"
SH
    cat > "$root/usr/local/bin/wordpress-standin" <<'SH'
#!/bin/sh
# Not WordPress: proves the template's wiring. Logs into the database named by the
# WORDPRESS_DB_* variables with their password, then serves the result and the extra config.
set -u
host=${WORDPRESS_DB_HOST%:*}
port=${WORDPRESS_DB_HOST##*:}
[ "$port" = "$WORDPRESS_DB_HOST" ] && port=3306
tries=0
until mariadb -h "$host" -P "$port" -u"$WORDPRESS_DB_USER" -p"$WORDPRESS_DB_PASSWORD" "$WORDPRESS_DB_NAME" -N \
        -e "SELECT CONCAT('database: connected as ', CURRENT_USER(), ' to ', DATABASE())" \
        > /tmp/database.txt 2>/tmp/database.err; do
    tries=$((tries + 1))
    if [ "$tries" -ge 60 ]; then cat /tmp/database.err >&2; exit 1; fi
    sleep 1
done
cat /tmp/database.txt
mkdir -p /var/www/html
echo "wp-login" > /var/www/html/wp-login.php
{
    cat /tmp/database.txt
    env | grep '^WORDPRESS_DB_' | grep -v '_PASSWORD=' | sort
    printf '%s\n' "${WORDPRESS_CONFIG_EXTRA:-}"
} > /var/www/html/index.html
exec httpd -f -p 80 -h /var/www/html
SH
    chmod +x "$root/usr/bin/curl" "$root/usr/local/bin/wordpress-standin"
    printf 'FROM mariadb:11.4\nCOPY rootfs /\nLABEL %s="%s"\nEXPOSE 80\nVOLUME /var/www/html\nWORKDIR /var/www/html\nENTRYPOINT ["wordpress-standin"]\nCMD []\n' \
        "$LABEL" "${WANT[$image]}" > "$work/Dockerfile"
    [ "$(image_state mariadb:11.4)" = current ] || die "wordpress:6.7-apache's stand-in is built FROM the mariadb:11.4 stand-in, which is missing"
    build "$image" "$work" 'command -v mariadb && command -v curl && command -v httpd'
fi
