//! Database engines: which images run one, and the commands that dump a database and
//! restore a dump *inside the service's own container* (so the client tools match the server's
//! version). Every command is an argv run with exec, never a shell string; passwords travel in
//! the exec's environment or in a file put into the container, never in the arguments.
//!
//! Restores never touch the live data until the dump has loaded completely: PostgreSQL and
//! MySQL/MariaDB load into a scratch database, then swap it in (PostgreSQL renames the
//! databases in one transaction; MySQL moves the tables with one atomic `RENAME TABLE`). A dump
//! that fails to load leaves the previous database as it was.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A database engine WindFlow dumps consistently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Postgres,
    Mysql,
    Mariadb,
    Mongodb,
    /// Saved with `SAVE`, then backed up with its data volume.
    Redis,
}

impl Engine {
    pub const ALL: [Engine; 5] = [
        Engine::Postgres,
        Engine::Mysql,
        Engine::Mariadb,
        Engine::Mongodb,
        Engine::Redis,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Mysql => "mysql",
            Engine::Mariadb => "mariadb",
            Engine::Mongodb => "mongodb",
            Engine::Redis => "redis",
        }
    }

    /// Whether the engine is backed up as a dump (else as its data volume after a save).
    pub fn dumps(self) -> bool {
        !matches!(self, Engine::Redis)
    }

    /// The file name of a service's dump inside the snapshot.
    pub fn dump_file(self, service: &str) -> String {
        match self {
            Engine::Mongodb => format!("{service}.archive"),
            _ => format!("{service}.sql"),
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Engine {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Engine::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown database engine {s:?} (known: postgres, mysql, mariadb, mongodb, redis)"
                )
            })
    }
}

/// The engine an image runs, from its repository name (`postgres:17`,
/// `docker.io/library/mariadb:11`, `bitnami/postgresql`, `postgis/postgis`, …).
pub fn detect(image: &str) -> Option<Engine> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    let repo = last.split(':').next().unwrap_or(last).to_ascii_lowercase();
    let engine = match repo.as_str() {
        "postgres" | "postgresql" | "postgis" | "timescaledb" | "timescaledb-ha" | "pgvector" => {
            Engine::Postgres
        }
        "mysql" | "percona-server" | "percona" => Engine::Mysql,
        "mariadb" => Engine::Mariadb,
        "mongo" | "mongodb" | "mongodb-community-server" => Engine::Mongodb,
        "redis" | "valkey" | "keydb" | "redis-stack-server" => Engine::Redis,
        _ => return None,
    };
    Some(engine)
}

/// A database a service runs, to dump consistently rather than copy its files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DatabaseDecl {
    /// Detected from the image when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<Engine>,
    /// The database to dump; read from the container's environment when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// The user to dump as; read from the container's environment when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// How to reach the database inside its container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub user: String,
    pub password: Option<String>,
    pub database: Option<String>,
}

/// The connection from the container's environment (the official images' variables), its
/// command line (`--requirepass` for Redis) and what the policy declares.
pub fn connection(
    engine: Engine,
    env: &BTreeMap<String, String>,
    command: &[String],
    decl: Option<&DatabaseDecl>,
) -> Connection {
    let get = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| env.get(*k).filter(|v| !v.is_empty()).cloned())
    };
    let (user, password, database) = match engine {
        Engine::Postgres => {
            let user =
                get(&["POSTGRES_USER", "POSTGRESQL_USERNAME"]).unwrap_or_else(|| "postgres".into());
            let database =
                get(&["POSTGRES_DB", "POSTGRESQL_DATABASE"]).unwrap_or_else(|| user.clone());
            (
                user,
                get(&["POSTGRES_PASSWORD", "POSTGRESQL_PASSWORD"]),
                Some(database),
            )
        }
        Engine::Mysql | Engine::Mariadb => (
            "root".to_string(),
            get(&["MARIADB_ROOT_PASSWORD", "MYSQL_ROOT_PASSWORD"]),
            get(&["MARIADB_DATABASE", "MYSQL_DATABASE"]),
        ),
        Engine::Mongodb => (
            get(&["MONGO_INITDB_ROOT_USERNAME"]).unwrap_or_default(),
            get(&["MONGO_INITDB_ROOT_PASSWORD"]),
            get(&["MONGO_INITDB_DATABASE"]),
        ),
        Engine::Redis => {
            let from_args = command
                .windows(2)
                .find(|w| w[0] == "--requirepass")
                .map(|w| w[1].clone());
            (
                String::new(),
                from_args.or_else(|| get(&["REDIS_PASSWORD", "REDISCLI_AUTH"])),
                None,
            )
        }
    };
    Connection {
        user: decl.and_then(|d| d.user.clone()).unwrap_or(user),
        password,
        database: decl.and_then(|d| d.database.clone()).or(database),
    }
}

/// One command to exec in the database's container.
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    pub argv: Vec<String>,
    /// `KEY=value` pairs for the exec (may hold a password: never log them).
    pub env: Vec<String>,
    /// Files to put into the container first (path, contents; mode 0600), e.g. a client
    /// configuration holding a password. Removed by [`Command::cleanup`].
    pub files: Vec<(String, Vec<u8>)>,
    /// Whether the command reads the dump on its standard input.
    pub reads_dump: bool,
    /// How many times to try again (1 s apart) when it fails, for steps that race with
    /// connections closing.
    pub retries: u32,
}

impl fmt::Debug for Command {
    /// The argv only: the environment and files may hold secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.argv.join(" "))
    }
}

impl Command {
    fn new(argv: &[&str]) -> Command {
        Command {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            env: Vec::new(),
            files: Vec::new(),
            reads_dump: false,
            retries: 0,
        }
    }

    fn arg(mut self, a: impl Into<String>) -> Self {
        self.argv.push(a.into());
        self
    }

    fn env(mut self, key: &str, value: Option<&str>) -> Self {
        if let Some(v) = value {
            self.env.push(format!("{key}={v}"));
        }
        self
    }

    /// The argv that removes the files this command put into the container, if any.
    pub fn cleanup(&self) -> Option<Vec<String>> {
        if self.files.is_empty() {
            return None;
        }
        let mut argv = vec!["rm".to_string(), "-f".to_string()];
        argv.extend(self.files.iter().map(|(p, _)| p.clone()));
        Some(argv)
    }
}

/// A PostgreSQL identifier, quoted.
pub fn pg_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A SQL string literal.
pub fn sql_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''").replace('\\', "\\\\"))
}

/// A MySQL identifier, quoted.
pub fn my_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

fn client(engine: Engine) -> (&'static str, &'static str) {
    match engine {
        Engine::Mariadb => ("mariadb-dump", "mariadb"),
        _ => ("mysqldump", "mysql"),
    }
}

/// The file a MongoDB client configuration (holding the password) is put at.
const MONGO_CONFIG: &str = "/tmp/.windflow-mongo-tools.yaml";

fn mongo_config(conn: &Connection) -> Vec<(String, Vec<u8>)> {
    match &conn.password {
        Some(p) => vec![(
            MONGO_CONFIG.to_string(),
            format!("password: {}\n", serde_json::Value::String(p.clone())).into_bytes(),
        )],
        None => Vec::new(),
    }
}

fn mongo_auth(mut c: Command, conn: &Connection) -> Command {
    if !conn.user.is_empty() {
        c = c
            .arg("--username")
            .arg(conn.user.clone())
            .arg("--authenticationDatabase")
            .arg("admin");
        if conn.password.is_some() {
            c = c.arg(format!("--config={MONGO_CONFIG}"));
            c.files = mongo_config(conn);
        }
    }
    c
}

/// The command that writes a consistent dump to standard output; `None` for Redis (its
/// volume is backed up after [`flush`]).
pub fn dump(engine: Engine, conn: &Connection) -> Option<Command> {
    let c = match engine {
        Engine::Postgres => Command::new(&["pg_dump", "--no-password", "--username"])
            .arg(conn.user.clone())
            .arg("--dbname")
            .arg(conn.database.clone().unwrap_or_else(|| conn.user.clone()))
            .env("PGPASSWORD", conn.password.as_deref()),
        Engine::Mysql | Engine::Mariadb => {
            let (dump, _) = client(engine);
            let c = Command::new(&[
                dump,
                "--user=root",
                "--single-transaction",
                "--routines",
                "--triggers",
                "--events",
                "--hex-blob",
            ])
            .env("MYSQL_PWD", conn.password.as_deref());
            match &conn.database {
                Some(db) => c.arg(db.clone()),
                None => c.arg("--all-databases"),
            }
        }
        Engine::Mongodb => {
            let c = Command::new(&["mongodump", "--archive", "--quiet"]);
            let c = mongo_auth(c, conn);
            match &conn.database {
                Some(db) => c.arg(format!("--db={db}")),
                None => c,
            }
        }
        Engine::Redis => return None,
    };
    Some(c)
}

/// What makes the engine's files consistent on disk before its volume is copied.
pub fn flush(engine: Engine, conn: &Connection) -> Option<Command> {
    match engine {
        Engine::Redis => Some(
            Command::new(&["redis-cli", "SAVE"]).env("REDISCLI_AUTH", conn.password.as_deref()),
        ),
        _ => None,
    }
}

/// What tells that a freshly started database finished its first start: the official
/// images initialize with a server listening on the socket only, so an answer over TCP means
/// the real server is up.
pub fn ready(engine: Engine, conn: &Connection) -> Option<Command> {
    match engine {
        Engine::Postgres => Some(
            Command::new(&["pg_isready", "--host", "127.0.0.1", "--username"])
                .arg(conn.user.clone())
                .arg("--dbname")
                .arg("postgres"),
        ),
        Engine::Mysql | Engine::Mariadb => Some(
            Command::new(&[
                client(engine).1,
                "--user=root",
                "--protocol=tcp",
                "--host=127.0.0.1",
                "-e",
                "SELECT 1",
            ])
            .env("MYSQL_PWD", conn.password.as_deref()),
        ),
        Engine::Mongodb | Engine::Redis => None,
    }
}

/// The scratch database a dump is loaded into before it replaces the live one.
pub fn scratch_name(database: &str) -> String {
    let mut base: String = database.chars().take(48).collect();
    base.push_str("_wfrestore");
    base
}

/// The name the live database is parked under during the swap.
pub fn previous_name(database: &str) -> String {
    let mut base: String = database.chars().take(48).collect();
    base.push_str("_wfprevious");
    base
}

/// The commands that load a dump (fed on standard input to the one with `reads_dump`) and
/// put it in place of the live database, in order. If one fails, run [`restore_cleanup`]:
/// the live database is still there, untouched.
///
/// For MySQL/MariaDB the swap needs the tables' names: the last step here lists them
/// (`SELECT` in the scratch and live databases), and [`mysql_swap`] builds the statement
/// from its output.
pub fn restore(engine: Engine, conn: &Connection) -> Result<Vec<Command>, String> {
    match engine {
        Engine::Postgres => {
            let db = conn.database.clone().unwrap_or_else(|| conn.user.clone());
            let scratch = scratch_name(&db);
            let previous = previous_name(&db);
            let psql = |database: &str| {
                Command::new(&[
                    "psql",
                    "--no-password",
                    "--no-psqlrc",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "--quiet",
                    "--username",
                ])
                .arg(conn.user.clone())
                .arg("--dbname")
                .arg(database.to_string())
                .env("PGPASSWORD", conn.password.as_deref())
            };
            let prepare = psql("postgres")
                .arg("-c")
                .arg(format!("DROP DATABASE IF EXISTS {}", pg_ident(&scratch)))
                .arg("-c")
                .arg(format!("DROP DATABASE IF EXISTS {}", pg_ident(&previous)))
                .arg("-c")
                .arg(format!(
                    "CREATE DATABASE {} OWNER {}",
                    pg_ident(&scratch),
                    pg_ident(&conn.user)
                ));
            let mut load = psql(&scratch).arg("--single-transaction");
            load.reads_dump = true;
            let mut swap = psql("postgres")
                .arg("-c")
                .arg(format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname IN ({}, {}) AND pid <> pg_backend_pid()",
                    sql_literal(&db),
                    sql_literal(&scratch)
                ))
                .arg("-c")
                .arg(format!(
                    "BEGIN; ALTER DATABASE {} RENAME TO {}; ALTER DATABASE {} RENAME TO {}; COMMIT;",
                    pg_ident(&db),
                    pg_ident(&previous),
                    pg_ident(&scratch),
                    pg_ident(&db)
                ));
            swap.retries = 5;
            let drop = psql("postgres")
                .arg("-c")
                .arg(format!("DROP DATABASE IF EXISTS {}", pg_ident(&previous)));
            Ok(vec![prepare, load, swap, drop])
        }
        Engine::Mysql | Engine::Mariadb => {
            let Some(db) = conn.database.clone() else {
                return Err("a dump of every database (no MYSQL_DATABASE) cannot be swapped in: declare the database in x-windflow.backup.databases".into());
            };
            let (_, mysql) = client(engine);
            let scratch = scratch_name(&db);
            let sql = |statement: String| {
                Command::new(&[mysql, "--user=root", "--batch", "--skip-column-names", "-e"])
                    .arg(statement)
                    .env("MYSQL_PWD", conn.password.as_deref())
            };
            let prepare = sql(format!(
                "DROP DATABASE IF EXISTS {s}; CREATE DATABASE {s}",
                s = my_ident(&scratch)
            ));
            let mut load = Command::new(&[mysql, "--user=root"])
                .arg(scratch.clone())
                .env("MYSQL_PWD", conn.password.as_deref());
            load.reads_dump = true;
            let tables = sql(format!(
                "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema IN ({}, {})",
                sql_literal(&db),
                sql_literal(&scratch)
            ));
            Ok(vec![prepare, load, tables])
        }
        Engine::Mongodb => {
            let mut load = mongo_auth(
                Command::new(&["mongorestore", "--archive", "--drop", "--quiet"]),
                conn,
            );
            load.reads_dump = true;
            Ok(vec![load])
        }
        Engine::Redis => Err("Redis is restored with its data volume".into()),
    }
}

/// The MySQL/MariaDB swap, from the output of the table listing step (`schema<TAB>table`
/// lines): the live tables move to a parked database and the scratch tables into the live
/// one in a single atomic `RENAME TABLE`, then both leftovers are dropped.
pub fn mysql_swap(engine: Engine, conn: &Connection, listing: &str) -> Vec<Command> {
    let (_, mysql) = client(engine);
    let db = conn.database.clone().unwrap_or_default();
    let scratch = scratch_name(&db);
    let previous = previous_name(&db);
    let mut renames = Vec::new();
    for line in listing.lines() {
        let Some((schema, table)) = line.split_once('\t') else {
            continue;
        };
        if schema == db {
            renames.push(format!(
                "{}.{} TO {}.{}",
                my_ident(&db),
                my_ident(table),
                my_ident(&previous),
                my_ident(table)
            ));
        }
    }
    for line in listing.lines() {
        let Some((schema, table)) = line.split_once('\t') else {
            continue;
        };
        if schema == scratch {
            renames.push(format!(
                "{}.{} TO {}.{}",
                my_ident(&scratch),
                my_ident(table),
                my_ident(&db),
                my_ident(table)
            ));
        }
    }
    let sql = |statement: String| {
        Command::new(&[mysql, "--user=root", "-e"])
            .arg(statement)
            .env("MYSQL_PWD", conn.password.as_deref())
    };
    let mut out = vec![sql(format!(
        "DROP DATABASE IF EXISTS {p}; CREATE DATABASE {p}",
        p = my_ident(&previous)
    ))];
    if !renames.is_empty() {
        out.push(sql(format!("RENAME TABLE {}", renames.join(", "))));
    }
    out.push(sql(format!(
        "DROP DATABASE IF EXISTS {}; DROP DATABASE IF EXISTS {}",
        my_ident(&previous),
        my_ident(&scratch)
    )));
    out
}

/// What removes a failed restore's scratch database (the live one is untouched).
pub fn restore_cleanup(engine: Engine, conn: &Connection) -> Option<Command> {
    let db = conn.database.clone().unwrap_or_else(|| conn.user.clone());
    let scratch = scratch_name(&db);
    match engine {
        Engine::Postgres => Some(
            Command::new(&[
                "psql",
                "--no-password",
                "--no-psqlrc",
                "--quiet",
                "--username",
            ])
            .arg(conn.user.clone())
            .arg("--dbname")
            .arg("postgres")
            .arg("-c")
            .arg(format!("DROP DATABASE IF EXISTS {}", pg_ident(&scratch)))
            .env("PGPASSWORD", conn.password.as_deref()),
        ),
        Engine::Mysql | Engine::Mariadb => Some(
            Command::new(&[client(engine).1, "--user=root", "-e"])
                .arg(format!("DROP DATABASE IF EXISTS {}", my_ident(&scratch)))
                .env("MYSQL_PWD", conn.password.as_deref()),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn engines_are_detected_from_images() {
        for (image, engine) in [
            ("postgres:17", Some(Engine::Postgres)),
            (
                "docker.io/library/postgres:16-alpine",
                Some(Engine::Postgres),
            ),
            ("bitnami/postgresql:15", Some(Engine::Postgres)),
            ("postgis/postgis:16-3.4@sha256:abc", Some(Engine::Postgres)),
            ("mariadb:11.4", Some(Engine::Mariadb)),
            ("mysql:8", Some(Engine::Mysql)),
            ("mongo:7", Some(Engine::Mongodb)),
            ("valkey/valkey:8", Some(Engine::Redis)),
            ("registry:5000/redis", Some(Engine::Redis)),
            ("nginx:1.27", None),
            ("my-postgres-exporter", None),
        ] {
            assert_eq!(detect(image), engine, "{image}");
        }
    }

    #[test]
    fn dumps_keep_passwords_out_of_the_arguments() {
        let conn = connection(
            Engine::Postgres,
            &env(&[("POSTGRES_USER", "app"), ("POSTGRES_PASSWORD", "s3cret")]),
            &[],
            None,
        );
        assert_eq!(conn.database.as_deref(), Some("app"));
        let d = dump(Engine::Postgres, &conn).unwrap();
        assert_eq!(
            d.argv,
            [
                "pg_dump",
                "--no-password",
                "--username",
                "app",
                "--dbname",
                "app"
            ]
        );
        assert_eq!(d.env, ["PGPASSWORD=s3cret"]);
        assert!(!format!("{d:?}").contains("s3cret"));

        let conn = connection(
            Engine::Mariadb,
            &env(&[
                ("MARIADB_ROOT_PASSWORD", "rootpw"),
                ("MARIADB_DATABASE", "shop"),
            ]),
            &[],
            None,
        );
        let d = dump(Engine::Mariadb, &conn).unwrap();
        assert_eq!(d.argv[0], "mariadb-dump");
        assert_eq!(d.argv.last().unwrap(), "shop");
        assert!(d.argv.iter().all(|a| !a.contains("rootpw")));

        let conn = connection(
            Engine::Mongodb,
            &env(&[
                ("MONGO_INITDB_ROOT_USERNAME", "root"),
                ("MONGO_INITDB_ROOT_PASSWORD", "pw\"x"),
            ]),
            &[],
            None,
        );
        let d = dump(Engine::Mongodb, &conn).unwrap();
        assert!(d.argv.iter().all(|a| !a.contains("pw")));
        assert_eq!(d.files[0].1, b"password: \"pw\\\"x\"\n");
        assert_eq!(d.cleanup().unwrap(), ["rm", "-f", MONGO_CONFIG]);

        let args: Vec<String> = ["redis-server", "--requirepass", "r3d1s"]
            .map(String::from)
            .to_vec();
        let conn = connection(Engine::Redis, &BTreeMap::new(), &args, None);
        let f = flush(Engine::Redis, &conn).unwrap();
        assert_eq!(f.env, ["REDISCLI_AUTH=r3d1s"]);
    }

    #[test]
    fn declared_values_win() {
        let decl = DatabaseDecl {
            engine: None,
            database: Some("other".into()),
            user: Some("admin".into()),
        };
        let conn = connection(
            Engine::Postgres,
            &env(&[("POSTGRES_USER", "app")]),
            &[],
            Some(&decl),
        );
        assert_eq!(
            (conn.user.as_str(), conn.database.as_deref()),
            ("admin", Some("other"))
        );
    }

    #[test]
    fn postgres_restores_into_a_scratch_database_then_swaps() {
        let conn = Connection {
            user: "app".into(),
            password: None,
            database: Some("we\"ird".into()),
        };
        let steps = restore(Engine::Postgres, &conn).unwrap();
        assert_eq!(steps.len(), 4);
        assert!(
            steps[0]
                .argv
                .iter()
                .any(|a| a == "CREATE DATABASE \"we\"\"ird_wfrestore\" OWNER \"app\"")
        );
        assert!(steps[1].reads_dump && steps[1].argv.contains(&"--single-transaction".to_string()));
        assert!(steps[2].argv.iter().any(|a| {
            a.contains("ALTER DATABASE \"we\"\"ird\" RENAME TO \"we\"\"ird_wfprevious\"")
        }));
        assert_eq!(steps[2].retries, 5);
    }

    #[test]
    fn mysql_swaps_tables_in_one_rename() {
        let conn = Connection {
            user: "root".into(),
            password: Some("pw".into()),
            database: Some("shop".into()),
        };
        let steps = restore(Engine::Mysql, &conn).unwrap();
        assert!(steps[1].reads_dump);
        let swap = mysql_swap(
            Engine::Mysql,
            &conn,
            "shop\torders\nshop_wfrestore\torders\nshop_wfrestore\titems\n",
        );
        assert_eq!(
            swap[1].argv.last().unwrap(),
            "RENAME TABLE `shop`.`orders` TO `shop_wfprevious`.`orders`, `shop_wfrestore`.`orders` TO `shop`.`orders`, `shop_wfrestore`.`items` TO `shop`.`items`"
        );
        assert!(
            restore(
                Engine::Mysql,
                &Connection {
                    database: None,
                    ..conn
                }
            )
            .is_err()
        );
    }
}
