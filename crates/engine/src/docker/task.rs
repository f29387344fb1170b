//! The Docker driver's tasks and execs ([`crate::task`]): helper containers created with
//! their mounts and files, attached before they start, fed and drained as streams, and
//! removed whatever happens — a dropped future removes its container too.

use std::collections::HashMap;

use bollard::Docker;
use bollard::errors::Error as BollardError;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use bollard::models::{ContainerCreateBody, HostConfig, Mount as EngineMount, MountType};
use bollard::query_parameters::{
    AttachContainerOptions, CreateContainerOptions, ListContainersOptions, RemoveContainerOptions,
    UploadToContainerOptions, WaitContainerOptions,
};
use futures::StreamExt;
use tokio::io::AsyncWriteExt;

use super::DockerDriver;
use crate::driver::{DriverError, DriverResult};
use crate::task::{ByteStream, Collector, ExecSpec, TaskFile, TaskIo, TaskOutput, TaskSpec};

/// Removes a task's container when dropped armed (a cancelled or failed task).
struct Removal {
    docker: Docker,
    id: Option<String>,
}

impl Drop for Removal {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            let docker = self.docker.clone();
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move {
                    let _ = docker
                        .remove_container(
                            &id,
                            Some(RemoveContainerOptions {
                                force: true,
                                ..Default::default()
                            }),
                        )
                        .await;
                });
            }
        }
    }
}

fn files_tar(files: &[TaskFile]) -> std::io::Result<Vec<u8>> {
    // One archive for all (concatenated single-file archives end at the first one's
    // end-of-archive blocks).
    let mut builder = tar::Builder::new(Vec::new());
    for f in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(f.contents.len() as u64);
        header.set_mode(f.mode);
        header.set_mtime(0);
        builder.append_data(&mut header, f.path.trim_start_matches('/'), &f.contents[..])?;
    }
    builder.into_inner()
}

async fn feed(
    mut input: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>,
    stdin: Option<ByteStream>,
) -> std::io::Result<()> {
    if let Some(mut stream) = stdin {
        while let Some(chunk) = stream.next().await {
            input.write_all(&chunk?).await?;
        }
    }
    input.shutdown().await
}

/// Reads an attached stream to its end into `collector`.
async fn drain(
    output: &mut std::pin::Pin<
        Box<dyn futures::Stream<Item = Result<bollard::container::LogOutput, BollardError>> + Send>,
    >,
    collector: &mut Collector,
) -> Result<(), BollardError> {
    while let Some(item) = output.next().await {
        match item? {
            bollard::container::LogOutput::StdOut { message }
            | bollard::container::LogOutput::Console { message } => collector.stdout(message).await,
            bollard::container::LogOutput::StdErr { message } => collector.stderr(&message),
            _ => {}
        }
    }
    Ok(())
}

impl DockerDriver {
    /// Creates the helper container with its files; the guard removes it unless disarmed.
    async fn task_create(
        &self,
        spec: &TaskSpec,
        with_stdin: bool,
    ) -> DriverResult<(String, Removal)> {
        let docker = self.client().clone();
        let context = format!("running helper container {}", spec.name);
        let mounts = spec
            .mounts
            .iter()
            .map(|m| EngineMount {
                target: Some(m.target.clone()),
                source: Some(m.source.clone()),
                typ: Some(if m.bind {
                    MountType::BIND
                } else {
                    MountType::VOLUME
                }),
                read_only: Some(m.read_only),
                ..Default::default()
            })
            .collect();
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            entrypoint: Some(spec.entrypoint.clone()),
            cmd: Some(spec.cmd.clone()),
            env: Some(spec.env.clone()),
            labels: Some(spec.labels.clone().into_iter().collect()),
            hostname: spec.hostname.clone(),
            user: spec.user.clone(),
            attach_stdin: Some(with_stdin),
            open_stdin: Some(with_stdin),
            stdin_once: Some(with_stdin),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(false),
            host_config: Some(HostConfig {
                mounts: Some(mounts),
                network_mode: spec.network_mode.clone(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let created = docker
            .create_container(
                Some(CreateContainerOptions {
                    name: Some(spec.name.clone()),
                    ..Default::default()
                }),
                body,
            )
            .await
            .map_err(|e| match e {
                BollardError::DockerResponseServerError {
                    status_code: 404, ..
                } => DriverError::Engine {
                    context: context.clone(),
                    message: format!(
                        "the image {} is not on this engine: pull it there (docker pull {})",
                        spec.image, spec.image
                    ),
                },
                e => self.err(context.clone(), e),
            })?;
        let removal = Removal {
            docker: docker.clone(),
            id: Some(created.id.clone()),
        };
        let id = created.id;
        if !spec.files.is_empty() {
            let archive = files_tar(&spec.files).map_err(|e| DriverError::Engine {
                context: context.clone(),
                message: e.to_string(),
            })?;
            docker
                .upload_to_container(
                    &id,
                    Some(UploadToContainerOptions {
                        path: "/".into(),
                        ..Default::default()
                    }),
                    bollard::body_full(archive.into()),
                )
                .await
                .map_err(|e| self.err(format!("writing the files of {}", spec.name), e))?;
        }
        Ok((id, removal))
    }

    pub(crate) async fn task_start(&self, spec: &TaskSpec) -> DriverResult<String> {
        let (id, mut removal) = self.task_create(spec, false).await?;
        self.client()
            .start_container(
                &id,
                None::<bollard::query_parameters::StartContainerOptions>,
            )
            .await
            .map_err(|e| self.err(format!("starting {}", spec.name), e))?;
        removal.id = None;
        Ok(id)
    }

    pub(crate) async fn task_run(&self, spec: &TaskSpec, io: TaskIo) -> DriverResult<TaskOutput> {
        let docker = self.client().clone();
        let with_stdin = io.stdin.is_some();
        let (id, mut removal) = self.task_create(spec, with_stdin).await?;
        let attached = docker
            .attach_container(
                &id,
                Some(AttachContainerOptions {
                    stdin: with_stdin,
                    stdout: true,
                    stderr: true,
                    stream: true,
                    logs: false,
                    ..Default::default()
                }),
            )
            .await
            .map_err(|e| self.err(format!("attaching to {}", spec.name), e))?;
        docker
            .start_container(
                &id,
                None::<bollard::query_parameters::StartContainerOptions>,
            )
            .await
            .map_err(|e| self.err(format!("starting {}", spec.name), e))?;
        let feeder = tokio::spawn(feed(attached.input, io.stdin));
        let mut collector = Collector::new(io.stdout);
        let mut output = attached.output;
        drain(&mut output, &mut collector)
            .await
            .map_err(|e| self.err(format!("reading the output of {}", spec.name), e))?;
        let fed = feeder.await;
        let mut code = None;
        let mut waits = docker.wait_container(&id, None::<WaitContainerOptions>);
        while let Some(w) = waits.next().await {
            match w {
                Ok(r) => code = Some(r.status_code),
                Err(BollardError::DockerContainerWaitError { code: c, .. }) => code = Some(c),
                Err(e) => return Err(self.err(format!("waiting for {}", spec.name), e)),
            }
        }
        let exit = code.unwrap_or(-1);
        let mut out = collector.finish(exit);
        if let Ok(Err(e)) = fed
            && out.success()
        {
            // The task ended well but could not take all its input.
            out.exit_code = -1;
            out.stderr
                .push_str(&format!("\nwriting standard input: {e}"));
        }
        // Removed now, not by the guard (which stays for errors and cancellation).
        removal.id = None;
        let _ = docker
            .remove_container(
                &id,
                Some(RemoveContainerOptions {
                    force: true,
                    ..Default::default()
                }),
            )
            .await;
        Ok(out)
    }

    pub(crate) async fn task_exec(
        &self,
        container: &str,
        spec: &ExecSpec,
        io: TaskIo,
    ) -> DriverResult<TaskOutput> {
        let docker = self.client();
        let with_stdin = io.stdin.is_some();
        let context = format!("running {:?} in {container}", spec.cmd.first());
        let created = docker
            .create_exec(
                container,
                CreateExecOptions::<String> {
                    attach_stdin: Some(with_stdin),
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    tty: Some(false),
                    env: Some(spec.env.clone()),
                    cmd: Some(spec.cmd.clone()),
                    user: spec.user.clone(),
                    working_dir: spec.working_dir.clone(),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| self.err(context.clone(), e))?;
        let started = docker
            .start_exec(
                &created.id,
                Some(StartExecOptions {
                    detach: false,
                    tty: false,
                    output_capacity: Some(64 << 10),
                }),
            )
            .await
            .map_err(|e| self.err(context.clone(), e))?;
        let StartExecResults::Attached { mut output, input } = started else {
            return Err(DriverError::Engine {
                context,
                message: "the engine started the command detached".into(),
            });
        };
        let feeder = tokio::spawn(feed(input, io.stdin));
        let mut collector = Collector::new(io.stdout);
        drain(&mut output, &mut collector)
            .await
            .map_err(|e| self.err(context.clone(), e))?;
        let fed = feeder.await;
        let inspect = docker
            .inspect_exec(&created.id)
            .await
            .map_err(|e| self.err(context.clone(), e))?;
        let mut out = collector.finish(inspect.exit_code.unwrap_or(-1));
        if let Ok(Err(e)) = fed
            && out.success()
        {
            out.exit_code = -1;
            out.stderr
                .push_str(&format!("\nwriting standard input: {e}"));
        }
        Ok(out)
    }

    pub(crate) async fn task_put_files(
        &self,
        container: &str,
        files: &[TaskFile],
    ) -> DriverResult<()> {
        let archive = files_tar(files).map_err(|e| DriverError::Engine {
            context: format!("packing files for {container}"),
            message: e.to_string(),
        })?;
        self.client()
            .upload_to_container(
                container,
                Some(UploadToContainerOptions {
                    path: "/".into(),
                    ..Default::default()
                }),
                bollard::body_full(archive.into()),
            )
            .await
            .map_err(|e| self.err(format!("writing files into {container}"), e))
    }

    pub(crate) async fn task_remove_labelled(&self, key: &str, value: &str) -> DriverResult<usize> {
        let filters: HashMap<String, Vec<String>> =
            HashMap::from([("label".to_string(), vec![format!("{key}={value}")])]);
        let list = self
            .client()
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: Some(filters),
                ..Default::default()
            }))
            .await
            .map_err(|e| self.err(format!("listing containers labelled {key}={value}"), e))?;
        let mut removed = 0;
        for c in list {
            if let Some(id) = c.id {
                let gone = self
                    .client()
                    .remove_container(
                        &id,
                        Some(RemoveContainerOptions {
                            force: true,
                            ..Default::default()
                        }),
                    )
                    .await;
                if gone.is_ok() {
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}
