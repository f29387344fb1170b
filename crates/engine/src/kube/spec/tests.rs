use super::*;

use std::time::Duration;

use windflow_domain::ingress::{Domain, Ingress};
use windflow_domain::{
    Condition, Dependency, DeviceMapping, FileObject, FileReference, Healthcheck, Mount, Port,
    Ulimit, Volume,
};

const NS: &str = "shop";

/// A change to a service, for tables of cases.
type Edit = Box<dyn Fn(&mut Service)>;

fn options() -> KubeOptions {
    KubeOptions {
        namespace: NS.into(),
        ..Default::default()
    }
}

fn stack(services: Vec<(&str, Service)>) -> StackSpec {
    StackSpec {
        name: "shop".into(),
        services: services
            .into_iter()
            .map(|(k, s)| (k.to_string(), s))
            .collect(),
        ..Default::default()
    }
}

fn service(f: impl FnOnce(&mut Service)) -> Service {
    let mut s = Service {
        image: "nginx:1".into(),
        ..Default::default()
    };
    f(&mut s);
    s
}

/// A stack named `shop` with one service `web`.
fn one(f: impl FnOnce(&mut Service)) -> StackSpec {
    stack(vec![("web", service(f))])
}

fn port(target: u16, published: Option<&str>) -> Port {
    Port {
        target,
        published: published.map(Into::into),
        host_ip: None,
        protocol: "tcp".into(),
        name: None,
        app_protocol: None,
    }
}

fn check(stack: &StackSpec, contents: &Contents, options: &KubeOptions) -> Translation {
    translate(stack, contents, options).unwrap_or_else(|r| panic!("refused: {r:?}"))
}

/// The paths of the refusals (panics when the stack translates).
fn refused(stack: &StackSpec, options: &KubeOptions) -> Vec<String> {
    match translate(stack, &Contents::default(), options) {
        Ok(t) => panic!("translated: {:?}", t.objects),
        Err(r) => r.into_iter().map(|r| r.path).collect(),
    }
}

fn find<'a>(t: &'a Translation, kind: Kind, name: &str) -> &'a Value {
    &t.objects
        .iter()
        .find(|o| o.kind == kind && o.name == name)
        .unwrap_or_else(|| panic!("no {kind:?} {name} in {:?}", ids(t)))
        .body
}

fn ids(t: &Translation) -> Vec<String> {
    t.objects.iter().map(Manifest::id).collect()
}

fn kinds(t: &Translation) -> Vec<Kind> {
    t.objects.iter().map(|o| o.kind).collect()
}

/// The first container of the `web` Deployment (or StatefulSet).
fn container(t: &Translation) -> &Value {
    let o = t
        .objects
        .iter()
        .find(|o| o.kind.is_workload() && o.name == "web")
        .expect("a web workload");
    &o.body["spec"]["template"]["spec"]["containers"][0]
}

fn pod(t: &Translation) -> &Value {
    let o = t
        .objects
        .iter()
        .find(|o| o.kind.is_workload() && o.name == "web")
        .expect("a web workload");
    &o.body["spec"]["template"]["spec"]
}

/// A body without the `windflow.io/applied` annotation (and without `annotations` when that
/// was the only one).
fn without_applied(body: &Value) -> Value {
    let mut body = body.clone();
    let metadata = body["metadata"].as_object_mut().unwrap();
    if let Some(Value::Object(a)) = metadata.get_mut("annotations") {
        a.remove(APPLIED_ANNOTATION);
        if a.is_empty() {
            metadata.remove("annotations");
        }
    }
    body
}

fn labels(service: &str) -> Value {
    json!({
        "app.kubernetes.io/managed-by": "windflow",
        "app.kubernetes.io/part-of": "shop",
        "app.kubernetes.io/name": service,
        "app.kubernetes.io/instance": "shop",
        "windflow.io/stack": "shop",
        "windflow.io/service": service,
    })
}

fn base() -> Value {
    json!({
        "app.kubernetes.io/managed-by": "windflow",
        "app.kubernetes.io/part-of": "shop",
        "windflow.io/stack": "shop",
    })
}

fn depends(on: &[&str]) -> BTreeMap<String, Dependency> {
    on.iter()
        .map(|d| {
            let dep = Dependency {
                condition: Condition::ServiceStarted,
                restart: false,
                required: true,
            };
            (d.to_string(), dep)
        })
        .collect()
}

#[test]
fn deployment_with_probes_rolling_update_and_service() {
    let stack = one(|s| {
        s.deploy.replicas = 2;
        s.ports = vec![port(8080, None)];
        s.healthcheck = Some(Healthcheck {
            test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/"]
                .map(String::from)
                .to_vec(),
            interval: Some(Duration::from_secs(1)),
            timeout: Some(Duration::from_secs(2)),
            retries: Some(3),
            ..Default::default()
        });
    });
    let t = check(&stack, &Contents::default(), &options());
    assert_eq!(t.namespace, "shop");
    assert_eq!(ids(&t), ["namespace/shop", "service/web", "deployment/web"]);
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
    let probe = json!({
        "exec": { "command": ["wget", "-q", "-O-", "http://127.0.0.1:8080/"] },
        "periodSeconds": 1,
        "timeoutSeconds": 2,
        "failureThreshold": 3,
    });
    assert_eq!(
        without_applied(find(&t, Kind::Deployment, "web")),
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": { "name": "web", "namespace": "shop", "labels": labels("web") },
            "spec": {
                "replicas": 2,
                "selector": { "matchLabels": { "windflow.io/stack": "shop", "windflow.io/service": "web" } },
                "strategy": { "type": "RollingUpdate", "rollingUpdate": { "maxSurge": 1, "maxUnavailable": 0 } },
                "template": {
                    "metadata": { "labels": labels("web") },
                    "spec": {
                        "containers": [{
                            "name": "web",
                            "image": "nginx:1",
                            "imagePullPolicy": "IfNotPresent",
                            "ports": [{ "containerPort": 8080, "protocol": "TCP" }],
                            "readinessProbe": probe,
                            "livenessProbe": probe,
                        }],
                        "automountServiceAccountToken": false,
                        "enableServiceLinks": false,
                    },
                },
            },
        })
    );
    assert_eq!(
        without_applied(find(&t, Kind::Service, "web")),
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": { "name": "web", "namespace": "shop", "labels": labels("web") },
            "spec": {
                "type": "ClusterIP",
                "selector": { "windflow.io/stack": "shop", "windflow.io/service": "web" },
                "ports": [{ "name": "tcp-8080", "port": 8080, "targetPort": 8080, "protocol": "TCP" }],
            },
        })
    );
    assert_eq!(
        find(&t, Kind::Namespace, "shop"),
        &json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "shop", "labels": base() } })
    );
}

#[test]
fn healthcheck_forms() {
    let probes = |h: Healthcheck| {
        let t = check(
            &one(|s| s.healthcheck = Some(h)),
            &Contents::default(),
            &options(),
        );
        let c = container(&t);
        (c["readinessProbe"].clone(), c["livenessProbe"].clone())
    };
    let shell = Healthcheck {
        test: vec![
            "CMD-SHELL".into(),
            "curl -f http://localhost/ || exit 1".into(),
        ],
        start_period: Some(Duration::from_secs(5)),
        start_interval: Some(Duration::from_secs(2)),
        ..Default::default()
    };
    let (ready, live) = probes(shell.clone());
    let command = json!(["/bin/sh", "-c", "curl -f http://localhost/ || exit 1"]);
    // Defaults: 30s interval and timeout, 3 retries; readiness at the start interval.
    assert_eq!(
        ready,
        json!({ "exec": { "command": command }, "periodSeconds": 2, "timeoutSeconds": 30, "failureThreshold": 3 })
    );
    assert_eq!(
        live,
        json!({ "exec": { "command": command }, "periodSeconds": 30, "timeoutSeconds": 30, "failureThreshold": 3, "initialDelaySeconds": 5 })
    );
    // Sub-second durations round up to one second.
    let (ready, _) = probes(Healthcheck {
        interval: Some(Duration::from_millis(300)),
        timeout: Some(Duration::from_millis(1500)),
        start_interval: None,
        ..shell.clone()
    });
    assert_eq!(ready["periodSeconds"], 1);
    assert_eq!(ready["timeoutSeconds"], 2);
    for none in [
        Healthcheck {
            disable: true,
            ..shell.clone()
        },
        Healthcheck {
            test: vec!["NONE".into()],
            ..Default::default()
        },
    ] {
        let (ready, live) = probes(none);
        assert_eq!((ready, live), (Value::Null, Value::Null));
    }
    let bad = one(|s| {
        s.healthcheck = Some(Healthcheck {
            test: vec!["RUN".into(), "true".into()],
            ..Default::default()
        })
    });
    assert_eq!(refused(&bad, &options()), ["services.web.healthcheck.test"]);
}

#[test]
fn named_volume_makes_a_statefulset_and_a_claim() {
    let mut st = one(|s| {
        s.image = "postgres:17".into();
        s.volumes = vec![Mount::new(
            MountKind::Volume,
            Some("data".into()),
            "/var/lib/postgresql/data",
        )];
    });
    st.volumes.insert(
        "data".into(),
        Volume {
            name: "shop_data".into(),
            driver_opts: [("size".to_string(), "5Gi".to_string())].into(),
            ..Default::default()
        },
    );
    let opts = KubeOptions {
        storage_class: Some("fast".into()),
        ..options()
    };
    let t = check(&st, &Contents::default(), &opts);
    assert_eq!(ids(&t), ["namespace/shop", "pvc/data", "statefulset/web"]);
    assert_eq!(
        find(&t, Kind::PersistentVolumeClaim, "data"),
        &json!({
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": { "name": "data", "namespace": "shop", "labels": base() },
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": { "requests": { "storage": "5Gi" } },
                "storageClassName": "fast",
            },
        })
    );
    let spec = &find(&t, Kind::StatefulSet, "web")["spec"];
    assert_eq!(spec["serviceName"], "web");
    assert_eq!(spec["podManagementPolicy"], "Parallel");
    assert_eq!(spec["updateStrategy"], json!({ "type": "RollingUpdate" }));
    assert_eq!(spec["replicas"], 1);
    assert_eq!(spec["strategy"], Value::Null);
    assert_eq!(
        pod(&t)["volumes"],
        json!([{ "name": "v0", "persistentVolumeClaim": { "claimName": "data" } }])
    );
    assert_eq!(
        container(&t)["volumeMounts"],
        json!([{ "name": "v0", "mountPath": "/var/lib/postgresql/data" }])
    );

    // Default size, the cluster's default class; two replicas share it from a Deployment.
    st.volumes.get_mut("data").unwrap().driver_opts.clear();
    st.services.get_mut("web").unwrap().deploy.replicas = 2;
    let t = check(&st, &Contents::default(), &options());
    assert_eq!(ids(&t), ["namespace/shop", "pvc/data", "deployment/web"]);
    assert_eq!(
        find(&t, Kind::PersistentVolumeClaim, "data")["spec"],
        json!({ "accessModes": ["ReadWriteOnce"], "resources": { "requests": { "storage": "1Gi" } } })
    );
}

#[test]
fn secrets_and_configs_are_named_by_content_and_mounted() {
    let mut st = one(|s| {
        s.secrets = vec![FileReference {
            source: "db_password".into(),
            target: "/run/secrets/db_password".into(),
            uid: None,
            gid: None,
            mode: Some(0o400),
        }];
        s.configs = vec![
            FileReference {
                source: "nginx_conf".into(),
                target: "/etc/nginx/nginx.conf".into(),
                uid: None,
                gid: None,
                mode: None,
            },
            FileReference {
                source: "blob".into(),
                target: "/blob".into(),
                uid: None,
                gid: None,
                mode: None,
            },
        ];
    });
    let declare = |name: &str| FileObject {
        name: name.into(),
        ..Default::default()
    };
    st.secrets
        .insert("db_password".into(), declare("shop_db_password"));
    st.configs
        .insert("nginx_conf".into(), declare("shop_nginx_conf"));
    st.configs.insert("blob".into(), declare("shop_blob"));
    let mut contents = Contents::default();
    contents
        .secrets
        .insert("db_password".into(), b"hunter2".to_vec());
    contents
        .configs
        .insert("nginx_conf".into(), b"events {}\n".to_vec());
    contents.configs.insert("blob".into(), vec![0xff, 0xfe, 0]);
    let t = check(&st, &contents, &options());

    let secret = content_name("db_password", b"hunter2");
    assert!(secret.starts_with("db-password-"), "{secret}");
    assert_eq!(secret.len(), "db-password-".len() + 10);
    assert_ne!(secret, content_name("db_password", b"hunter3"));
    assert_eq!(secret, content_name("db_password", b"hunter2"));
    let conf = content_name("nginx_conf", b"events {}\n");
    let blob = content_name("blob", &[0xff, 0xfe, 0]);
    assert_eq!(
        ids(&t),
        [
            "namespace/shop".to_string(),
            format!("secret/{secret}"),
            format!("configmap/{blob}"),
            format!("configmap/{conf}"),
            "deployment/web".into(),
        ]
    );
    assert_eq!(
        find(&t, Kind::Secret, &secret),
        &json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": { "name": secret, "namespace": "shop", "labels": base() },
            "type": "Opaque",
            "immutable": true,
            "data": { "content": "aHVudGVyMg==" },
        })
    );
    assert_eq!(
        find(&t, Kind::ConfigMap, &conf),
        &json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": { "name": conf, "namespace": "shop", "labels": base() },
            "immutable": true,
            "data": { "content": "events {}\n" },
        })
    );
    let b = find(&t, Kind::ConfigMap, &blob);
    assert_eq!(b["binaryData"], json!({ "content": "//4A" }));
    assert_eq!(b["data"], Value::Null);

    assert_eq!(
        pod(&t)["volumes"],
        json!([
            { "name": "s0", "secret": { "secretName": secret, "items": [{ "key": "content", "path": "content", "mode": 0o400 }] } },
            { "name": "c0", "configMap": { "name": conf, "items": [{ "key": "content", "path": "content" }] } },
            { "name": "c1", "configMap": { "name": blob, "items": [{ "key": "content", "path": "content" }] } },
        ])
    );
    assert_eq!(
        container(&t)["volumeMounts"],
        json!([
            { "name": "s0", "mountPath": "/run/secrets/db_password", "subPath": "content", "readOnly": true },
            { "name": "c0", "mountPath": "/etc/nginx/nginx.conf", "subPath": "content", "readOnly": true },
            { "name": "c1", "mountPath": "/blob", "subPath": "content", "readOnly": true },
        ])
    );

    // New bytes: a new Secret name, which the pod template follows.
    contents
        .secrets
        .insert("db_password".into(), b"hunter3".to_vec());
    let t2 = check(&st, &contents, &options());
    let renamed = content_name("db_password", b"hunter3");
    assert_eq!(t2.objects[1].name, renamed);
    assert_eq!(
        pod(&t2)["volumes"][0]["secret"]["secretName"],
        json!(renamed)
    );
}

#[test]
fn container_fields_and_security_context() {
    let t = check(
        &one(|s| {
            s.entrypoint = Some(vec!["/docker-entrypoint.sh".into()]);
            s.command = Some(vec!["nginx".into(), "-g".into(), "daemon off;".into()]);
            s.environment = [("B", "2"), ("A", "1")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .into();
            s.user = Some("1000:1000".into());
            s.cap_add = vec!["CAP_NET_ADMIN".into()];
            s.cap_drop = vec!["all".into()];
            s.read_only = true;
            s.security_opt = vec!["no-new-privileges:true".into()];
        }),
        &Contents::default(),
        &options(),
    );
    let c = container(&t);
    assert_eq!(c["command"], json!(["/docker-entrypoint.sh"]));
    assert_eq!(c["args"], json!(["nginx", "-g", "daemon off;"]));
    assert_eq!(
        c["env"],
        json!([{ "name": "A", "value": "1" }, { "name": "B", "value": "2" }])
    );
    assert_eq!(
        c["securityContext"],
        json!({
            "runAsUser": 1000,
            "runAsGroup": 1000,
            "readOnlyRootFilesystem": true,
            "capabilities": { "add": ["NET_ADMIN"], "drop": ["ALL"] },
            "allowPrivilegeEscalation": false,
        })
    );
    // A uid alone.
    let t = check(
        &one(|s| s.user = Some("33".into())),
        &Contents::default(),
        &options(),
    );
    assert_eq!(container(&t)["securityContext"], json!({ "runAsUser": 33 }));
    assert_eq!(
        refused(&one(|s| s.user = Some("app".into())), &options()),
        ["services.web.user"]
    );
    assert_eq!(
        refused(&one(|s| s.user = Some("1000:staff".into())), &options()),
        ["services.web.user"]
    );
}

#[test]
fn host_level_fields_are_refused_with_their_path() {
    let cases: Vec<(&str, Edit)> = vec![
        (
            "services.web.network_mode",
            Box::new(|s| s.network_mode = Some("host".into())),
        ),
        ("services.web.privileged", Box::new(|s| s.privileged = true)),
        (
            "services.web.volumes[0]",
            Box::new(|s| {
                s.volumes = vec![Mount::new(
                    MountKind::Bind,
                    Some("/srv/data".into()),
                    "/data",
                )]
            }),
        ),
        (
            "services.web.pid",
            Box::new(|s| s.pid = Some("host".into())),
        ),
        (
            "services.web.ipc",
            Box::new(|s| s.ipc = Some("host".into())),
        ),
    ];
    for (path, f) in &cases {
        let st = one(f);
        let err = translate(&st, &Contents::default(), &options()).unwrap_err();
        assert_eq!(
            err.iter().map(|r| r.path.as_str()).collect::<Vec<_>>(),
            [*path]
        );
        assert!(err[0].message.contains("--allow-host-access"), "{}", err[0]);
        // The host-access policy lets each through.
        let allowed = KubeOptions {
            host_access: true,
            ..options()
        };
        check(&st, &Contents::default(), &allowed);
    }
}

#[test]
fn host_access_translates_host_fields() {
    let mut bind = Mount::new(MountKind::Bind, Some("/srv/data".into()), "/data");
    bind.create_host_path = true;
    let st = one(|s| {
        s.network_mode = Some("host".into());
        s.privileged = true;
        s.pid = Some("host".into());
        s.volumes = vec![
            bind,
            Mount::new(MountKind::Bind, Some("/etc/ssl".into()), "/etc/ssl"),
        ];
        s.volumes[1].read_only = true;
    });
    let t = check(
        &st,
        &Contents::default(),
        &KubeOptions {
            host_access: true,
            ..options()
        },
    );
    let p = pod(&t);
    assert_eq!(p["hostNetwork"], true);
    assert_eq!(p["dnsPolicy"], "ClusterFirstWithHostNet");
    assert_eq!(p["hostPID"], true);
    assert_eq!(
        p["volumes"],
        json!([
            { "name": "v0", "hostPath": { "path": "/srv/data", "type": "DirectoryOrCreate" } },
            { "name": "v1", "hostPath": { "path": "/etc/ssl", "type": "" } },
        ])
    );
    assert_eq!(
        container(&t)["volumeMounts"],
        json!([
            { "name": "v0", "mountPath": "/data" },
            { "name": "v1", "mountPath": "/etc/ssl", "readOnly": true },
        ])
    );
    assert_eq!(
        container(&t)["securityContext"],
        json!({ "privileged": true })
    );
}

#[test]
fn untranslatable_fields_are_refused_even_with_host_access() {
    let cases: Vec<(&str, Edit)> = vec![
        (
            "services.web.devices",
            Box::new(|s| {
                s.devices = vec![DeviceMapping {
                    source: "/dev/fuse".into(),
                    target: "/dev/fuse".into(),
                    permissions: "rwm".into(),
                }]
            }),
        ),
        (
            "services.web.volumes_from",
            Box::new(|s| s.volumes_from = vec!["db".into()]),
        ),
        (
            "services.web.ulimits",
            Box::new(|s| {
                s.ulimits = [(
                    "nofile".to_string(),
                    Ulimit {
                        soft: 1024,
                        hard: 2048,
                    },
                )]
                .into()
            }),
        ),
        (
            "services.web.network_mode",
            Box::new(|s| s.network_mode = Some("service:db".into())),
        ),
        (
            "services.web.pid",
            Box::new(|s| s.pid = Some("service:db".into())),
        ),
    ];
    let allowed = KubeOptions {
        host_access: true,
        ..options()
    };
    for (path, f) in &cases {
        let st = stack(vec![("db", service(|_| {})), ("web", service(f))]);
        assert_eq!(refused(&st, &options()), [*path]);
        assert_eq!(refused(&st, &allowed), [*path]);
    }
}

#[test]
fn names_that_are_not_dns_labels_are_refused() {
    let collide = stack(vec![
        ("my_app", service(|_| {})),
        ("my-app", service(|_| {})),
    ]);
    let err = translate(&collide, &Contents::default(), &options()).unwrap_err();
    assert_eq!(err.len(), 1);
    assert_eq!(err[0].path, "services.my_app");
    assert!(err[0].message.contains("my-app"), "{}", err[0]);

    let digit = stack(vec![("1web", service(|_| {}))]);
    assert_eq!(refused(&digit, &options()), ["services.1web"]);

    let bad_ns = KubeOptions {
        namespace: "Shop_Prod".into(),
        ..options()
    };
    assert_eq!(refused(&one(|_| {}), &bad_ns), ["name"]);

    // The compose key is kept for waves and `service`, its label names the objects.
    let t = check(
        &stack(vec![(
            "My_App",
            service(|s| s.ports = vec![port(80, None)]),
        )]),
        &Contents::default(),
        &options(),
    );
    assert_eq!(
        ids(&t),
        ["namespace/shop", "service/my-app", "deployment/my-app"]
    );
    assert_eq!(t.objects[2].service.as_deref(), Some("My_App"));
    assert_eq!(
        t.waves,
        [vec![(
            "My_App".to_string(),
            Kind::Deployment,
            "my-app".to_string()
        )]]
    );
}

#[test]
fn every_refusal_is_returned_at_once() {
    let st = stack(vec![
        ("2api", service(|_| {})),
        (
            "web",
            service(|s| {
                s.privileged = true;
                s.network_mode = Some("host".into());
                s.devices = vec![DeviceMapping {
                    source: "/dev/kvm".into(),
                    target: "/dev/kvm".into(),
                    permissions: "rwm".into(),
                }];
                s.deploy
                    .swarm
                    .insert("update_config".into(), json!({ "order": "sideways" }));
            }),
        ),
        ("worker", service(|s| s.user = Some("app".into()))),
    ]);
    assert_eq!(
        refused(&st, &options()),
        [
            "services.2api",
            "services.web.privileged",
            "services.web.network_mode",
            "services.web.devices",
            "services.web.deploy.update_config.order",
            "services.worker.user",
        ]
    );
}

#[test]
fn resources_become_limits_and_requests() {
    let t = check(
        &one(|s| {
            s.deploy.limits.cpus = Some(0.5);
            s.deploy.limits.memory = Some(268435456);
            s.deploy.reservations.cpus = Some(0.25);
            s.deploy.reservations.memory = Some(134217728);
        }),
        &Contents::default(),
        &options(),
    );
    assert_eq!(
        container(&t)["resources"],
        json!({
            "limits": { "cpu": "500m", "memory": "268435456" },
            "requests": { "cpu": "250m", "memory": "134217728" },
        })
    );
    let t = check(
        &one(|s| s.deploy.limits.cpus = Some(2.0)),
        &Contents::default(),
        &options(),
    );
    assert_eq!(
        container(&t)["resources"],
        json!({ "limits": { "cpu": "2000m" } })
    );
}

#[test]
fn update_config_sets_the_rollout() {
    let with = |config: Value| {
        one(move |s| {
            s.deploy.swarm.insert("update_config".into(), config);
        })
    };
    let t = check(
        &with(json!({ "parallelism": 2, "order": "stop-first", "monitor": "10s" })),
        &Contents::default(),
        &options(),
    );
    let spec = &find(&t, Kind::Deployment, "web")["spec"];
    assert_eq!(
        spec["strategy"],
        json!({ "type": "RollingUpdate", "rollingUpdate": { "maxSurge": 0, "maxUnavailable": 2 } })
    );
    assert_eq!(spec["minReadySeconds"], 10);

    let t = check(
        &with(json!({ "parallelism": 3, "order": "start-first" })),
        &Contents::default(),
        &options(),
    );
    let spec = &find(&t, Kind::Deployment, "web")["spec"];
    assert_eq!(
        spec["strategy"]["rollingUpdate"],
        json!({ "maxSurge": 3, "maxUnavailable": 0 })
    );
    assert_eq!(spec["minReadySeconds"], Value::Null);

    assert_eq!(
        refused(&with(json!({ "order": "sideways" })), &options()),
        ["services.web.deploy.update_config.order"]
    );
    assert_eq!(
        refused(&with(json!({ "parallelism": "two" })), &options()),
        ["services.web.deploy.update_config.parallelism"]
    );
    assert_eq!(
        refused(&with(json!({ "monitor": "soon" })), &options()),
        ["services.web.deploy.update_config.monitor"]
    );
    let global = one(|s| {
        s.deploy.swarm.insert("mode".into(), json!("global"));
    });
    assert_eq!(refused(&global, &options()), ["services.web.deploy.mode"]);
    let replicated = one(|s| {
        s.deploy.swarm.insert("mode".into(), json!("replicated"));
    });
    check(&replicated, &Contents::default(), &options());
}

fn ingress(tls: TlsMode) -> Ingress {
    Ingress {
        domains: vec![
            Domain {
                host: "shop.example.test".into(),
                path: None,
            },
            Domain {
                host: "example.test".into(),
                path: Some("/api".into()),
            },
        ],
        port: 8080,
        tls,
        health: None,
        max_body: None,
        timeout: None,
    }
}

#[test]
fn domains_become_an_ingress_with_named_tls() {
    let opts = KubeOptions {
        ingress_class: Some("nginx".into()),
        ..options()
    };
    let t = check(
        &one(|s| s.ingress = Some(ingress(TlsMode::Named("shop-cert".into())))),
        &Contents::default(),
        &opts,
    );
    assert_eq!(
        ids(&t),
        [
            "namespace/shop",
            "service/web",
            "deployment/web",
            "ingress/web"
        ]
    );
    let backend = json!({ "service": { "name": "web", "port": { "number": 8080 } } });
    assert_eq!(
        without_applied(find(&t, Kind::Ingress, "web")),
        json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": { "name": "web", "namespace": "shop", "labels": labels("web") },
            "spec": {
                "ingressClassName": "nginx",
                "rules": [
                    { "host": "example.test", "http": { "paths": [
                        { "path": "/api", "pathType": "Prefix", "backend": backend },
                    ] } },
                    { "host": "shop.example.test", "http": { "paths": [
                        { "path": "/", "pathType": "Prefix", "backend": backend },
                    ] } },
                ],
                "tls": [{ "hosts": ["example.test", "shop.example.test"], "secretName": "shop-cert" }],
            },
        })
    );
    // The Service carries the ingress port though `ports` is empty.
    assert_eq!(
        find(&t, Kind::Service, "web")["spec"]["ports"],
        json!([{ "name": "tcp-8080", "port": 8080, "targetPort": 8080, "protocol": "TCP" }])
    );
    assert_eq!(
        refused(
            &one(|s| s.ingress = Some(ingress(TlsMode::Named("Shop Cert".into())))),
            &options()
        ),
        ["services.web.x-windflow.tls"]
    );
}

#[test]
fn automatic_tls_uses_the_cluster_issuer() {
    let st = one(|s| s.ingress = Some(ingress(TlsMode::Auto)));
    let opts = KubeOptions {
        cluster_issuer: Some("letsencrypt".into()),
        ..options()
    };
    let t = check(&st, &Contents::default(), &opts);
    let body = without_applied(find(&t, Kind::Ingress, "web"));
    assert_eq!(
        body["metadata"]["annotations"],
        json!({ "cert-manager.io/cluster-issuer": "letsencrypt" })
    );
    assert_eq!(
        body["spec"]["tls"],
        json!([{ "hosts": ["example.test", "shop.example.test"], "secretName": "web-tls" }])
    );
    assert_eq!(body["spec"]["ingressClassName"], Value::Null);
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);

    // Without an issuer: no tls section, a warning.
    let t = check(&st, &Contents::default(), &options());
    let body = without_applied(find(&t, Kind::Ingress, "web"));
    assert_eq!(body["spec"]["tls"], Value::Null);
    assert_eq!(body["metadata"]["annotations"], Value::Null);
    assert_eq!(t.warnings.len(), 1);
    assert!(t.warnings[0].contains("tls: auto"), "{:?}", t.warnings);

    let t = check(
        &one(|s| s.ingress = Some(ingress(TlsMode::Off))),
        &Contents::default(),
        &opts,
    );
    assert_eq!(find(&t, Kind::Ingress, "web")["spec"]["tls"], Value::Null);
}

#[test]
fn published_ports() {
    let t = check(
        &one(|s| s.ports = vec![port(80, Some("30080"))]),
        &Contents::default(),
        &options(),
    );
    // Inside the cluster, every port; on the nodes, only the published one.
    let spec = &find(&t, Kind::Service, "web")["spec"];
    assert_eq!(spec["type"], "ClusterIP");
    assert_eq!(
        spec["ports"],
        json!([{ "name": "tcp-80", "port": 80, "targetPort": 80, "protocol": "TCP" }])
    );
    let spec = &find(&t, Kind::Service, "web-nodeport")["spec"];
    assert_eq!(spec["type"], "NodePort");
    assert_eq!(
        spec["ports"],
        json!([{ "name": "tcp-80", "port": 80, "targetPort": 80, "protocol": "TCP", "nodePort": 30080 }])
    );
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
    let t = check(
        &one(|s| {
            s.ports = vec![port(80, Some("30080")), port(9000, None)];
            s.expose = vec!["7000-7001".into()];
        }),
        &Contents::default(),
        &options(),
    );
    let spec = &find(&t, Kind::Service, "web-nodeport")["spec"];
    assert_eq!(spec["ports"].as_array().unwrap().len(), 1, "{spec}");
    assert_eq!(
        find(&t, Kind::Service, "web")["spec"]["ports"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(
        t.warnings
            .iter()
            .any(|w| w.contains("expose \"7000-7001\"")),
        "{:?}",
        t.warnings
    );

    let t = check(
        &one(|s| {
            s.ports = vec![port(8080, Some("8080"))];
            s.ports.push(Port {
                protocol: "udp".into(),
                ..port(53, None)
            });
            s.expose = vec!["9090".into()];
        }),
        &Contents::default(),
        &options(),
    );
    let spec = &find(&t, Kind::Service, "web")["spec"];
    assert_eq!(spec["type"], "ClusterIP");
    assert_eq!(
        spec["ports"],
        json!([
            { "name": "udp-53", "port": 53, "targetPort": 53, "protocol": "UDP" },
            { "name": "tcp-8080", "port": 8080, "targetPort": 8080, "protocol": "TCP" },
            { "name": "tcp-9090", "port": 9090, "targetPort": 9090, "protocol": "TCP" },
        ])
    );
    assert_eq!(
        container(&t)["ports"],
        json!([
            { "containerPort": 53, "protocol": "UDP" },
            { "containerPort": 8080, "protocol": "TCP" },
            { "containerPort": 9090, "protocol": "TCP" },
        ])
    );
    assert_eq!(t.warnings.len(), 1, "{:?}", t.warnings);
    assert!(
        t.warnings[0].contains("published port 8080"),
        "{:?}",
        t.warnings
    );

    // No ports, no domains: no Service.
    let t = check(&one(|_| {}), &Contents::default(), &options());
    assert_eq!(ids(&t), ["namespace/shop", "deployment/web"]);
}

#[test]
fn waves_follow_depends_on_and_objects_follow_apply_order() {
    let mut st = stack(vec![
        (
            "web",
            service(|s| {
                s.depends_on = depends(&["api"]);
                s.ingress = Some(ingress(TlsMode::Off));
                s.configs = vec![FileReference {
                    source: "site".into(),
                    target: "/site.conf".into(),
                    uid: None,
                    gid: None,
                    mode: None,
                }];
            }),
        ),
        (
            "api",
            service(|s| {
                s.depends_on = depends(&["db"]);
                s.ports = vec![port(3000, None)];
                s.secrets = vec![FileReference {
                    source: "token".into(),
                    target: "/run/secrets/token".into(),
                    uid: None,
                    gid: None,
                    mode: None,
                }];
            }),
        ),
        (
            "db",
            service(|s| {
                s.ports = vec![port(5432, None)];
                s.volumes = vec![Mount::new(MountKind::Volume, Some("data".into()), "/data")];
            }),
        ),
    ]);
    st.volumes.insert("data".into(), Volume::default());
    st.secrets.insert("token".into(), FileObject::default());
    st.configs.insert("site".into(), FileObject::default());
    let contents = Contents {
        secrets: [("token".to_string(), b"t".to_vec())].into(),
        configs: [("site".to_string(), b"s".to_vec())].into(),
    };
    let t = check(&st, &contents, &options());
    let wave = |key: &str, kind: Kind| (key.to_string(), kind, key.to_string());
    assert_eq!(
        t.waves,
        [
            vec![wave("db", Kind::StatefulSet)],
            vec![wave("api", Kind::Deployment)],
            vec![wave("web", Kind::Deployment)],
        ]
    );
    assert_eq!(
        ids(&t),
        [
            "namespace/shop".to_string(),
            format!("secret/{}", content_name("token", b"t")),
            format!("configmap/{}", content_name("site", b"s")),
            "pvc/data".into(),
            "service/api".into(),
            "service/db".into(),
            "service/web".into(),
            "statefulset/db".into(),
            "deployment/api".into(),
            "deployment/web".into(),
            "ingress/web".into(),
        ]
    );
    // Apply order is the kinds' order, workloads aside (they follow the waves).
    let mut sorted = kinds(&t);
    sorted.sort_by_key(|k| {
        if k.is_workload() {
            Kind::Deployment
        } else {
            *k
        }
    });
    assert_eq!(kinds(&t), sorted);

    // Two services on one dependency share a wave.
    st.services.insert(
        "worker".into(),
        service(|s| s.depends_on = depends(&["db"])),
    );
    let t = check(&st, &contents, &options());
    assert_eq!(
        t.waves,
        [
            vec![wave("db", Kind::StatefulSet)],
            vec![
                wave("worker", Kind::Deployment),
                wave("api", Kind::Deployment)
            ],
            vec![wave("web", Kind::Deployment)],
        ]
    );
}

#[test]
fn applied_annotation_is_the_body_without_it() {
    let st = stack(vec![
        (
            "web",
            service(|s| {
                s.ports = vec![port(80, Some("30080"))];
                s.ingress = Some(ingress(TlsMode::Auto));
            }),
        ),
        (
            "db",
            service(|s| s.volumes = vec![Mount::new(MountKind::Volume, Some("data".into()), "/d")]),
        ),
    ]);
    let mut st = st;
    st.volumes.insert("data".into(), Volume::default());
    let opts = KubeOptions {
        cluster_issuer: Some("letsencrypt".into()),
        ..options()
    };
    let t = check(&st, &Contents::default(), &opts);
    assert_eq!(
        kinds(&t),
        [
            Kind::Namespace,
            Kind::PersistentVolumeClaim,
            Kind::Service,
            Kind::Service,
            Kind::StatefulSet,
            Kind::Deployment,
            Kind::Ingress,
        ]
    );
    for o in &t.objects {
        let annotation = &o.body["metadata"]["annotations"][APPLIED_ANNOTATION];
        if matches!(o.kind, Kind::Namespace | Kind::PersistentVolumeClaim) {
            assert_eq!(annotation, &Value::Null, "{}", o.id());
            continue;
        }
        let applied: Value = serde_json::from_str(annotation.as_str().expect("a string"))
            .unwrap_or_else(|e| panic!("{}: {e}", o.id()));
        assert_eq!(applied, without_applied(&o.body), "{}", o.id());
        assert_eq!(applied["kind"], o.kind.name());
        assert_eq!(applied["apiVersion"], o.kind.api_version());
    }
    // Other annotations stay beside it.
    let ingress = find(&t, Kind::Ingress, "web");
    assert_eq!(
        ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"],
        "letsencrypt"
    );
}

#[test]
fn dns_labels_and_default_namespace() {
    for (key, label) in [
        ("web", Some("web")),
        ("My_App.v2", Some("my-app-v2")),
        ("db-1", Some("db-1")),
        ("1web", None),
        ("-web", None),
        ("web-", None),
        ("web_", None),
        ("", None),
        ("wéb", None),
        ("we b", None),
    ] {
        assert_eq!(dns_label(key).as_deref(), label, "{key:?}");
    }
    let long = "a".repeat(63);
    assert_eq!(dns_label(&long), Some(long.clone()));
    assert_eq!(dns_label(&format!("{long}a")), None);

    assert_eq!(default_namespace("shop"), "shop");
    assert_eq!(default_namespace("My_Shop"), "my-shop");
    let fallback = default_namespace("1shop");
    assert!(fallback.starts_with("stack-"), "{fallback}");
    assert_eq!(fallback.len(), "stack-".len() + 8);
    assert_eq!(dns_label(&fallback).as_deref(), Some(fallback.as_str()));
    assert_eq!(fallback, default_namespace("1shop"));
    assert_ne!(fallback, default_namespace("2shop"));

    // A key that is no label still names its content object.
    assert!(content_name("1st", b"x").starts_with("object-"));
    let long_name = content_name(&"b".repeat(70), b"x");
    assert!(long_name.starts_with("object-"), "{long_name}");
    let trimmed = content_name(&format!("{}-c", "a".repeat(49)), b"x");
    assert_eq!(trimmed.len(), 49 + 1 + 10, "{trimmed}");
}

#[test]
fn kinds_order_and_names() {
    assert!(Kind::Namespace < Kind::Secret);
    assert!(Kind::PersistentVolumeClaim < Kind::Service);
    assert!(Kind::StatefulSet < Kind::Ingress);
    let m = Manifest {
        kind: Kind::PersistentVolumeClaim,
        name: "data".into(),
        service: None,
        body: Value::Null,
    };
    assert_eq!(m.id(), "pvc/data");
    assert_eq!(Kind::Ingress.plural(), "ingresses");
    assert!(!Kind::NAMESPACED.contains(&Kind::Namespace));
}

#[test]
fn external_objects_keep_their_names_and_the_stack_label_wins_over_a_files() {
    let mut s = one(|s| {
        s.secrets = vec![FileReference {
            source: "tls".into(),
            target: "/run/secrets/tls".into(),
            uid: None,
            gid: None,
            mode: None,
        }];
        s.configs = vec![FileReference {
            source: "app".into(),
            target: "/etc/app.conf".into(),
            uid: None,
            gid: None,
            mode: None,
        }];
    });
    s.secrets.insert(
        "tls".into(),
        FileObject {
            name: "shop.example.tls".into(),
            external: true,
            ..Default::default()
        },
    );
    s.configs.insert(
        "app".into(),
        FileObject {
            name: "app".into(),
            content: Some("x".into()),
            labels: [("windflow.io/stack".to_string(), "other".to_string())].into(),
            ..Default::default()
        },
    );
    let contents = Contents {
        configs: [("app".to_string(), b"x".to_vec())].into(),
        ..Default::default()
    };
    let t = check(&s, &contents, &options());
    let volumes = &pod(&t)["volumes"];
    assert!(
        volumes
            .to_string()
            .contains("\"secretName\":\"shop.example.tls\""),
        "{volumes}"
    );
    let config = t
        .objects
        .iter()
        .find(|o| o.kind == Kind::ConfigMap)
        .unwrap();
    assert_eq!(
        config.body["metadata"]["labels"]["windflow.io/stack"],
        s.name.as_str()
    );
    assert_eq!(dns_subdomain("Bad_Name"), None);
    assert_eq!(dns_subdomain("a..b"), None);
}

#[test]
fn kubernetes_never_expands_what_compose_left_literal() {
    let s = one(|s| {
        s.entrypoint = Some(vec!["sh".into(), "-c".into()]);
        s.command = Some(vec!["echo $(date) $HOME".into()]);
        s.environment = [("GREETING".to_string(), "$(whoami)".to_string())].into();
    });
    let t = check(&s, &Contents::default(), &options());
    let c = container(&t);
    assert_eq!(c["args"], json!(["echo $$(date) $HOME"]));
    assert_eq!(
        c["env"],
        json!([{ "name": "GREETING", "value": "$$(whoami)" }])
    );
    assert_eq!(c["command"], json!(["sh", "-c"]));
}
