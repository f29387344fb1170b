// Generated from the WindFlow OpenAPI document by `npm run gen:api`. Do not edit by hand.

export interface paths {
    "/api/v1/agents/enroll": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Trade an enrollment token for an agent identity (called by `windflow agent`). Creates the
         *     agent's target. The credential is shown once.
         */
        post: operations["enroll"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every audit entry, server-level ones included (server administrators). */
        get: operations["server_audit"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/factors": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Your second factors: kind, whether confirmed, created, last used, recovery codes left. */
        get: operations["list_factors"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/factors/recovery-codes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** New recovery codes (the old ones stop working); needs a current code. Shown this once. */
        post: operations["regenerate_recovery_codes"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/factors/totp": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Start a TOTP enrolment (needs your password): the secret, its `otpauth://` URI and a QR
         *     code, shown this once. The factor counts once confirmed with a code.
         */
        post: operations["start_totp"];
        /** Remove your TOTP factor and recovery codes (needs your password or a current code). */
        delete: operations["remove_totp"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/factors/totp/confirm": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Confirm the pending TOTP factor with a code from the app; answers the recovery codes,
         *     shown this once.
         */
        post: operations["confirm_totp"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Log in with a username and password: sets the HttpOnly session cookie and returns the
         *     CSRF token to send as `x-csrf-token` on every mutating request. A user with a second
         *     factor sends `code` too; without it the answer is a 401 whose problem type is
         *     `…/second-factor-required`.
         */
        post: operations["login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * End the browser session. A session opened through single sign-on with a provider that
         *     offers RP-initiated logout answers 200 with the provider's logout URL to visit next.
         */
        post: operations["logout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/passkeys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Your passkeys. */
        get: operations["list_passkeys"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/passkeys/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start a passkey login: the options for `navigator.credentials.get`. */
        post: operations["start_login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/passkeys/login/finish": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Finish a passkey login with the authenticator's assertion: sets the session cookie, as a
         *     password login does.
         */
        post: operations["finish_login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/passkeys/register": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Start registering a passkey (your password again): the options for
         *     `navigator.credentials.create`.
         */
        post: operations["start_registration"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/passkeys/register/finish": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Finish registering a passkey with the authenticator's answer. */
        post: operations["finish_registration"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/passkeys/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove one of your passkeys. */
        delete: operations["remove_passkey"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Change your own password. Every other session of yours ends. */
        post: operations["change_password"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Who is logged in, their organizations and roles, and the session's CSRF token. */
        get: operations["session"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/sso/cli/token": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Exchange the one-time code a CLI received on its loopback redirect for a personal API
         *     token (no authentication: the code is the credential, good once for a minute).
         */
        post: operations["exchange_sso_cli_code"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/sso/providers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The providers to offer on the login page (no authentication). */
        get: operations["list_login_sso_providers"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/sso/{slug}/callback": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The provider's redirect back: the code is exchanged, the ID token verified, the identity
         *     linked, its groups mapped to roles, and a session opened (303 into the console), or, for a
         *     CLI login, a 303 to its loopback with a one-time code. A refusal goes to the login page
         *     (or the CLI's loopback) with `sso_error`.
         */
        get: operations["sso_callback"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/sso/{slug}/start": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Begin a login through a provider: a redirect (302) to its authorization endpoint. */
        get: operations["sso_start"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Your personal API tokens (never their secrets). */
        get: operations["list_tokens"];
        put?: never;
        /** Create a personal API token for the CLI or CI. Its secret is in this answer only. */
        post: operations["create_token"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/tokens/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke one of your tokens; it stops working at once. */
        delete: operations["revoke_token"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/catalog/sources": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The server's catalog sources with their last import report (server administrators). */
        get: operations["list_sources"];
        put?: never;
        /**
         * Add a catalog source (server administrators): a git repository or the URL of one file,
         *     in Coolify, Portainer or WindFlow format. It is fetched and imported first; a source that
         *     cannot be fetched is a 422 and nothing is stored.
         */
        post: operations["create_source"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/catalog/sources/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove a catalog source and its templates (stacks made from them stay). */
        delete: operations["delete_source"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/catalog/sources/{name}/refresh": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Refresh a catalog source now. A failed refresh keeps the previous templates; its error
         *     is in the answer.
         */
        post: operations["refresh_source"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/hooks/workflows/{token}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A workflow's webhook (no session: the body is signed with the workflow's key —
         *     `X-Hub-Signature-256` for GitHub and Gitea, `X-Gitlab-Token` for GitLab,
         *     `X-WindFlow-Timestamp` + `X-WindFlow-Signature` otherwise). A push starts a run (202);
         *     other events and pushes to other branches are acknowledged and ignored (200).
         */
        post: operations["workflow_webhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The organizations you belong to, with your role in each. */
        get: operations["list_orgs"];
        put?: never;
        /** Create an organization (server administrators); you become its owner. */
        post: operations["create_org"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One organization you belong to. */
        get: operations["get_org"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/agents": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The organization's agents, with their connection state. */
        get: operations["list_agents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/agents/enrollments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create a single-use enrollment token for a new agent target (admins). Shown once. */
        post: operations["create_enrollment"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/agents/{agent}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke an agent (admins): its credential stops working, its live link closes at once and
         *     its target is marked down. The target stays (delete it separately).
         */
        delete: operations["revoke_agent"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/ai/generate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Generate a stack from a description. The model's answer is loaded by WindFlow's compose
         *     loader, checked against the host-access policy and the advisor, and repaired in a loop
         *     (the diagnostics fed back) up to `max_rounds`; only a stack that loads without errors is
         *     returned, with its plan against `target`. With `Accept: text/event-stream` the progress
         *     streams as `progress` events and the answer comes as a `result` event (or `error`);
         *     closing the connection cancels the call.
         */
        post: operations["generate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/ai/provider": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The organization's AI provider (never its key). 404 when none is set: the AI features
         *     are then hidden, and everything else works.
         */
        get: operations["show_provider"];
        /**
         * Set the organization's OpenAI-compatible provider (OpenAI, LiteLLM, Ollama, vLLM,
         *     llama.cpp's server). The API key is sealed and write-only: leave it out to keep the
         *     stored one. A provider on an internal network needs a server administrator's
         *     `--ai-allow-endpoint`.
         */
        put: operations["set_provider"];
        post?: never;
        /** Remove the organization's AI provider and its key. */
        delete: operations["delete_provider"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/ai/requests": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The organization's AI calls: who, what for, which model, tokens, time and outcome. */
        get: operations["list_requests"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The organization's audit log, newest first (admins). `format=csv` exports it. */
        get: operations["org_audit"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/backup/repositories": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The organization's backup repositories. */
        get: operations["list_repositories"];
        put?: never;
        /**
         * Add a repository: S3-compatible storage, a folder on a target, or an SFTP server. WindFlow
         *     initializes it (or opens an existing restic repository with `password`) before storing it.
         *     The credentials and the password are sealed and never shown again.
         */
        post: operations["create_repository"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/backup/repositories/{repository}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["show_repository"];
        put?: never;
        post?: never;
        /**
         * Remove a repository from WindFlow (its data stays in place). Refused while a stack's
         *     policy uses it.
         */
        delete: operations["delete_repository"];
        options?: never;
        head?: never;
        /** Rename a repository or change its credentials (absent fields are kept). */
        patch: operations["update_repository"];
        trace?: never;
    };
    "/api/v1/orgs/{org}/backup/repositories/{repository}/check": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Queue an integrity check of the repository. */
        post: operations["check_repository"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/backup/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Backup runs, newest first. */
        get: operations["list_runs"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/backup/runs/{run}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["show_run"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/backup/runs/{run}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel a queued or running operation (its helpers are stopped; a restore puts the
         *     previous data back).
         */
        post: operations["cancel_run"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/backup/runs/{run}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The run's progress as Server-Sent Events: a `run` event (a `BackupRun`) each time it
         *     changes, the last one when it ended.
         */
        get: operations["follow_run"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/backup/snapshots": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Snapshots (one per item of each backup), newest first. */
        get: operations["list_snapshots"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/backup/snapshots/{snapshot}/download": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Download one file of a snapshot (a database item: its dump). Needs admin: backups hold
         *     data a viewer may not read.
         */
        get: operations["download_file"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/backup/snapshots/{snapshot}/files": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The files and folders of a snapshot under a path. */
        get: operations["list_files"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/certificates": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The organization's certificates with their expiry and renewal state (never a key). */
        get: operations["list_certificates"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/certificates/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Store a certificate under a name (what `tls:` names): its chain, leaf first, and its key,
         *     checked before anything is stored.
         */
        put: operations["upload_certificate"];
        post?: never;
        /** Delete a certificate. */
        delete: operations["delete_certificate"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/certificates/{name}/renew": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Renew an ACME certificate now (it is renewed on its own at two thirds of its lifetime);
         *     the current one keeps serving if the renewal fails.
         */
        post: operations["renew_certificate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/deployments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Deployments, newest first, filtered by stack, target and state. */
        get: operations["list_deployments"];
        put?: never;
        /**
         * Queue a deployment of a stack version onto a target (operators). Send an
         *     `Idempotency-Key` header to make retries safe: the same key returns the same deployment.
         */
        post: operations["create_deployment"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/deployments/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One deployment: its state, plan and error. */
        get: operations["get_deployment"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/deployments/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel a deployment (operators): a queued one at once; a running one stops at its next
         *     step and the previous version is put back.
         */
        post: operations["cancel_deployment"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/deployments/{id}/diagnose": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Ask the model why a deployment failed: it gets the compose file, the plan, the events,
         *     the services' last log lines and the advisor's findings (secret values redacted), and
         *     answers with a cause and a fix as a diff that WindFlow's checks accept — to apply as a
         *     new stack version.
         */
        post: operations["diagnose"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/deployments/{id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Recorded events after `after`, oldest first (at most 1,000 per call). */
        get: operations["list_events"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/deployments/{id}/events/stream": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Live events over Server-Sent Events: every recorded event after `after` (or the
         *     `Last-Event-ID` header), then new ones as they happen; the stream ends with an `end`
         *     event once the deployment reaches a terminal state. Each event's `id` is its sequence
         *     number and its `event` the kind (`step_started`, `state`…).
         */
        get: operations["stream_events"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/dns/providers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The organization's DNS providers and the zones each manages (never a credential). */
        get: operations["list_dns_providers"];
        put?: never;
        /**
         * Register a DNS provider. Each zone is listed with the credential first: a wrong key or an
         *     unknown zone is a 422 with the provider's message, and nothing is stored.
         */
        post: operations["create_dns_provider"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/dns/providers/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove a DNS provider; refused (409) while WindFlow holds records through it. */
        delete: operations["delete_dns_provider"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/dns/records": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The DNS records WindFlow created for deployed stacks (the only ones it changes), each with
         *     its last health check against the zone's authoritative servers (every 5 minutes).
         */
        get: operations["list_dns_records"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/dns/records/check": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Check every record against the zone's authoritative servers now; the records with their
         *     new health. A new mismatch (or a recovery) is recorded in the audit log.
         */
        post: operations["check_dns_records"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/dns/zones": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Every zone of the organization's DNS providers with its DNSSEC state: keys, and the DS
         *     records to hand to the registrar. A provider that cannot be reached gives its zones an
         *     `error` instead.
         */
        get: operations["list_dns_zones"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/dns/zones/{zone}/dnssec": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Turn DNSSEC signing on for a zone. PowerDNS gets a key through its API; an RFC 2136
         *     server cannot be told to sign, so an unsigned zone there is a 422 saying what to set on
         *     the server (a zone it signs already is reported as it is). Returns the zone's state with
         *     the DS records for the registrar.
         */
        post: operations["enable_dnssec"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/environments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Environments of the organization. */
        get: operations["list_environments"];
        put?: never;
        /** Create an environment (admins). */
        post: operations["create_environment"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/environments/{env}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Delete an environment no target or deployment uses (admins). */
        delete: operations["delete_environment"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/environments/{env}/policy": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Narrow the policy for deployments in one environment (admins): the stricter level and
         *     only the host paths both allow.
         */
        put: operations["narrow_environment"];
        post?: never;
        /** Remove an environment's narrowing (admins). */
        delete: operations["widen_environment"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/environments/{env}/variables": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Variables every stack deployed in this environment gets (secret values are never shown). */
        get: operations["list_environment_variables"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/environments/{env}/variables/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Set a variable or secret for the environment (admins). Secrets are write-only. */
        put: operations["set_environment_variable"];
        post?: never;
        /** Delete a variable of the environment (admins). */
        delete: operations["delete_environment_variable"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/grants": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every role granted to users and teams on the organization, its environments and its stacks. */
        get: operations["list_grants"];
        put?: never;
        /** Grant a role to a user or a team on the organization (teams), an environment or a stack (owners). Grants add to the membership role; they never narrow it. */
        post: operations["create_grant"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/grants/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke a grant (owners); it stops counting at once. */
        delete: operations["delete_grant"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/login-policy": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The organization's login policy: who must have a second factor, whether members may log
         *     in with a password.
         */
        get: operations["get_login_policy"];
        /** Change the organization's login policy (owners). */
        put: operations["set_login_policy"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/members": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Members and their roles. */
        get: operations["list_members"];
        /** Add a member or change their role (owners). */
        put: operations["set_member"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/members/{user}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove a member (owners). The last owner cannot be removed. */
        delete: operations["remove_member"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/notification-channels": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The organization's notification channels (credentials never shown). */
        get: operations["list_notification_channels"];
        put?: never;
        /**
         * Add a notification channel: a signed webhook, Slack, Discord, e-mail (SMTP), ntfy or
         *     Gotify. Its credentials are sealed and never shown again. Needs admin.
         */
        post: operations["create_notification_channel"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/notification-channels/{channel}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete: operations["delete_notification_channel"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/notification-channels/{channel}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send a test message through the channel. Needs admin. */
        post: operations["test_notification_channel"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/policy": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The organization's host-access policy and the narrowings of its environments and
         *     targets: what host-level features (bind mounts, the engine socket, privileged containers,
         *     host namespaces, capabilities) its stacks may use.
         */
        get: operations["get_policy"];
        /**
         * Set the organization's host-access policy (server administrators only, members or not).
         *     It takes effect for every push, queued deployment and deployment that starts from now on.
         */
        put: operations["set_policy"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/roles": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The organization's custom roles. */
        get: operations["list_roles"];
        put?: never;
        /** Create a custom role from permissions (owners). */
        post: operations["create_role"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/roles/{role}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Delete a custom role (owners); every grant of it goes. */
        delete: operations["delete_role"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/service-accounts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The organization's service accounts. */
        get: operations["list_service_accounts"];
        put?: never;
        /** Create a service account (owners): a member that never logs in and acts through API tokens, for CI. Grant it roles on environments or stacks like any member. */
        post: operations["create_service_account"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/service-accounts/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Delete a service account (owners): its tokens stop working at once. */
        delete: operations["delete_service_account"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/service-accounts/{name}/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A service account's API tokens (never their secrets; owners). */
        get: operations["list_service_account_tokens"];
        put?: never;
        /** Create an API token for a service account (owners). Its secret is in this answer only. */
        post: operations["create_service_account_token"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/service-accounts/{name}/tokens/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke a service account's token (owners); it stops working at once. */
        delete: operations["revoke_service_account_token"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/stacks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Stacks of the organization, by name. */
        get: operations["list_stacks"];
        put?: never;
        /**
         * Create a stack from a compose file (admins). The file is validated first; errors name
         *     the line and field.
         */
        post: operations["create_stack"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/stacks/{stack}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A stack with its newest version's content; the `ETag` header is that version. */
        get: operations["get_stack"];
        /**
         * Push a new version (admins). With `If-Match: "<version>"` the write is refused (412) when
         *     the stack moved on since that version was read.
         */
        put: operations["update_stack"];
        post?: never;
        /**
         * Delete a stack (admins). Its deployments stay listed. Refused (409) while a deployment of
         *     it is queued or running, or while it runs on a target — unless `undeploy=true`.
         */
        delete: operations["delete_stack"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/stacks/{stack}/backup": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The stack's backup policy in effect (set through the API, or its compose file's
         *     `x-windflow.backup`).
         */
        get: operations["show_backup_policy"];
        /** Set the stack's backup policy (it then overrides the compose file's). */
        put: operations["set_backup_policy"];
        post?: never;
        /** Remove the API-set policy (the compose file's, if any, takes effect again). */
        delete: operations["delete_backup_policy"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/stacks/{stack}/backup/drill": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Run a restore drill now: the latest backup restored into a throwaway copy of the stack,
         *     the policy's checks run in it, the copy removed.
         */
        post: operations["start_drill"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/stacks/{stack}/backup/restore": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Restore a backup into the stack, or (`into_stack`) into another one — on another target
         *     too. With `dry_run`, only the plan: what is replaced and what is stopped. Needs admin.
         */
        post: operations["restore"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/stacks/{stack}/backup/run": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Back the stack up now. */
        post: operations["start_backup"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/stacks/{stack}/diff": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A unified diff between two versions. */
        get: operations["diff_versions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/stacks/{stack}/domains": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The domains of the stack's services: the compose file's (`x-windflow`) and the control
         *     plane's settings over them.
         */
        get: operations["list_stack_domains"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/stacks/{stack}/domains/{service}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Set a service's domains, for every environment or one, over its compose file's. */
        put: operations["set_stack_domains"];
        post?: never;
        /** Remove a service's domains setting: the compose file's domains apply again. */
        delete: operations["delete_stack_domains"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/stacks/{stack}/logs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Logs of the stack's containers on a target, as `log` events whose data is a `LogLine`,
         *     the organization's secret values masked.
         *     Without `follow` the stream ends after the tail with an `end` event.
         */
        get: operations["stack_logs"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/stacks/{stack}/optimize": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Proposals for a stack (limits, healthchecks, image pinning) as a diff: nothing is
         *     applied.
         */
        post: operations["optimize"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/stacks/{stack}/plan": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * What deploying a version onto a target would change, computed against what the target
         *     really runs now (operators).
         */
        post: operations["plan_stack"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/stacks/{stack}/rollback": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Roll back to an earlier version on a target (operators): by default the last version
         *     that succeeded there before the current one. Queued like any deployment.
         */
        post: operations["rollback_stack"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/stacks/{stack}/template": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The template a stack was created from, and the catalog's newer version when there is one. */
        get: operations["show_stack_template"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/stacks/{stack}/template/upgrade": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Upgrade a stack to the catalog's version of its template: its inputs (generated secrets
         *     included) kept, the diff shown, a new stack version written unless `dry_run`.
         */
        post: operations["upgrade_stack_template"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/stacks/{stack}/validate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Validate compose content without saving it: errors and warnings with lines and fields. */
        post: operations["validate_content"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/stacks/{stack}/variables": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The stack's variables and secrets (secret values are never shown). */
        get: operations["list_stack_variables"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/stacks/{stack}/variables/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Set a variable or secret of the stack, for every environment or one (admins). */
        put: operations["set_stack_variable"];
        post?: never;
        /** Delete a variable of the stack (admins). */
        delete: operations["delete_stack_variable"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/stacks/{stack}/versions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Versions, newest first. */
        get: operations["list_versions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/stacks/{stack}/versions/{version}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One version with its content. */
        get: operations["get_version"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/targets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Targets of the organization, with their last known health. */
        get: operations["list_targets"];
        put?: never;
        /**
         * Register a target (admins). Its connection is tested at once; a failing test is reported
         *     in `status` but does not refuse the target.
         */
        post: operations["create_target"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/targets/{target}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One target. */
        get: operations["get_target"];
        put?: never;
        post?: never;
        /** Remove a target (admins); refused while a deployment uses it, unless `force`. */
        delete: operations["delete_target"];
        options?: never;
        head?: never;
        /**
         * Change a target's labels (admins; label values are strings, selectors match them), or
         *     whether its engine is shared with this organization (server administrators).
         */
        patch: operations["update_target"];
        trace?: never;
    };
    "/api/v1/orgs/{org}/targets/{target}/checks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The target's health history: one entry per connection check (every 30 s and on demand),
         *     newest first, kept for 7 days.
         */
        get: operations["target_checks"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/targets/{target}/containers/{container}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The engine's full description of a container of the organization's stacks (its own
         *     JSON, as `docker inspect` shows it), with the organization's secret values masked and,
         *     for viewers, every environment value masked (names kept).
         */
        get: operations["inspect_container"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/targets/{target}/containers/{container}/logs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A container's log as `log` events whose data is a `LogLine` (`tail` lines, then new ones
         *     with `follow`), the organization's secret values masked; without `follow` the stream ends
         *     with an `end` event.
         */
        get: operations["container_logs"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/targets/{target}/containers/{container}/{action}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start, stop or restart a container of the organization's stacks. */
        post: operations["container_action"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/targets/{target}/gateway": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The target's gateway: the routes it serves, their certificates and the live state of the
         *     replicas behind them.
         */
        get: operations["target_gateway"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/targets/{target}/inventory": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The containers of the organization's stacks on the target (with their stack and
         *     service), the networks and volumes of those stacks, and images (all of them on an engine
         *     only this organization uses, else those its containers run).
         */
        get: operations["target_inventory"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/targets/{target}/kubernetes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The WindFlow stacks on a `kubernetes` target: each namespace with its workloads and pods. */
        get: operations["kubernetes_stacks"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/targets/{target}/kubernetes/namespaces/{namespace}/pods/{pod}/log": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The end of a pod's log (with timestamps), for a pod of a WindFlow stack on the target. */
        get: operations["kubernetes_pod_log"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/targets/{target}/nodes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The nodes of the Swarm a `swarm` target manages. */
        get: operations["swarm_nodes"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/targets/{target}/policy": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Narrow the policy for deployments onto one target (admins). */
        put: operations["narrow_target"];
        post?: never;
        /** Remove a target's narrowing (admins). */
        delete: operations["widen_target"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/targets/{target}/stats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * CPU and memory of every running container of the organization's stacks on the target (one sample each, taken in
         *     parallel; the answer takes about the engine's sampling interval, ~1 s).
         */
        get: operations["target_stats"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/targets/{target}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Test the connection now: engine version, OS and architecture, and how long it took. */
        post: operations["test_target"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/targets/{target}/trust": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Trust the host key of a target reached over SSH (admins): the key offered is pinned only
         *     if its fingerprint is exactly the one given (check it on the host with
         *     `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`); then the connection is tested.
         */
        post: operations["trust_target"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/teams": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The organization's teams and their members. */
        get: operations["list_teams"];
        put?: never;
        /** Create a team (owners). Roles granted to a team hold for each of its members. */
        post: operations["create_team"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/teams/{team}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Delete a team (owners); the roles granted to it go with it. */
        delete: operations["delete_team"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/teams/{team}/members/{user}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Add a member of the organization to a team (owners). */
        put: operations["add_team_member"];
        post?: never;
        /** Remove a user from a team (owners). */
        delete: operations["remove_team_member"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/templates": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The catalog: WindFlow's built-in templates, then those of the server's catalog sources. */
        get: operations["list_templates"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/templates/{source}/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One template: its inputs, size classes, compose file and the advisor's findings on it. */
        get: operations["show_template"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/templates/{source}/{id}/deploy": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Deploy a template as a new stack: inputs checked, secrets generated and stored
         *     encrypted, sizing formulas computed for the size class (refused when the target cannot
         *     fit it), the compose file loaded and checked against the host-access policy. With
         *     `deploy`, a deployment onto `target` starts; with `dry_run`, nothing is created.
         */
        post: operations["deploy_template"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/workflow-runs/{run}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A run with each node's input, output, logs, timing and error. */
        get: operations["show_workflow_run"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/workflow-runs/{run}/approvals/{node}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Approve or reject an approval node that waits: the caller needs the role the node names. */
        post: operations["decide_workflow_approval"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/workflow-runs/{run}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Cancel a run: a queued or waiting one ends at once, a running one at its next step. */
        post: operations["cancel_workflow_run"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/workflow-runs/{run}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The run as Server-Sent Events: a `run` event (a `WorkflowRun` with its nodes) each time
         *     it changes, the last one when it ended.
         */
        get: operations["follow_workflow_run"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/workflows": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The organization's workflows with their last run. */
        get: operations["list_workflows"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/workflows/validate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Check a workflow document without saving it: every problem with its field. */
        post: operations["validate_workflow"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/workflows/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A workflow and its current document. */
        get: operations["show_workflow"];
        /**
         * Save a workflow (created on first save): a new version when the document changed, 200
         *     with the current version when it did not. Needs admin.
         */
        put: operations["put_workflow"];
        post?: never;
        /**
         * Delete a workflow: its webhook and schedules stop, its waiting runs are cancelled; its
         *     runs stay in the history.
         */
        delete: operations["delete_workflow"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/workflows/{name}/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A workflow's runs, newest first (without their nodes). */
        get: operations["list_workflow_runs"];
        put?: never;
        /**
         * Start a run (with the workflow's inputs), or again from a node of an earlier run. Needs
         *     operator; each node checks, as it runs, that the caller and the workflow's last editor may
         *     act on its stack.
         */
        post: operations["start_workflow_run"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/workflows/{name}/versions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A workflow's versions, newest first. */
        get: operations["list_workflow_versions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/workflows/{name}/versions/{version}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One version of a workflow. */
        get: operations["show_workflow_version"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/orgs/{org}/workflows/{name}/webhook": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Make (or replace) the workflow's webhook: its URL and signing key, shown this once.
         *     Needs admin.
         */
        post: operations["rotate_workflow_webhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/sso/providers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The OpenID Connect providers (server administrators). Client secrets are never returned. */
        get: operations["list_sso_providers"];
        put?: never;
        /**
         * Add an OpenID Connect provider (server administrators). Register `redirect_uri` from the
         *     answer at the provider.
         */
        post: operations["create_sso_provider"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/sso/providers/{slug}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One provider (server administrators). */
        get: operations["show_sso_provider"];
        /** Change a provider (server administrators). `client_secret` absent keeps the stored one. */
        put: operations["update_sso_provider"];
        post?: never;
        /** Remove a provider with its linked identities (the users and their memberships stay). */
        delete: operations["delete_sso_provider"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every user (server administrators only). */
        get: operations["list_users"];
        put?: never;
        /** Create a user (server administrators only). */
        post: operations["create_user"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Disable or re-enable a user, or set their password (server administrators only). Their
         *     sessions end either way.
         */
        patch: operations["update_user"];
        trace?: never;
    };
    "/api/v1/users/{id}/factors": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove a user's second factors and end their sessions (server administrators). */
        delete: operations["reset_user_factors"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health/live": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The process answers. */
        get: operations["live"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Ready to serve: the database answers, and the local engine does when one is configured. */
        get: operations["ready"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics: HTTP requests by route and status, request durations, deployments by
         *     state, deploy durations, targets up. With `--metrics-token`, only `Authorization: Bearer
         *     <that token>` reads them; without, only a server administrator (session or API token).
         */
        get: operations["metrics_text"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description One finding of the stack advisor: a rule with a stable id, where, what and how to fix it. */
        Advice: {
            /** @description The rule's stable id (`no-healthcheck`, `docker-socket`, …). */
            rule: string;
            /** @description `info`, `warning` or `error`. */
            severity: string;
            service?: string | null;
            /** @description The compose path (`services.db.ports[0]`). */
            field: string;
            /**
             * Format: int32
             * @description The 1-based line in the compose file.
             */
            line?: number | null;
            message: string;
            fix: string;
        };
        /** @description An enrolled agent as listed by `GET /orgs/{org}/agents`. */
        Agent: {
            id: string;
            target: string;
            /** @description Whether a link is open to this server right now. */
            connected: boolean;
            version?: string | null;
            /** @description The address the agent last connected from. */
            address?: string | null;
            /** Format: date-time */
            last_seen_at?: string | null;
            revoked: boolean;
            /** Format: date-time */
            created_at: string;
        };
        /** @description A model's diagnosis of a failed deployment, with a fix as a diff of the compose file. */
        AiDiagnosis: {
            cause: string;
            /** @description A corrected compose file that loads, when the model proposed one. */
            compose?: string | null;
            diff?: string | null;
            model: string;
        };
        /** @description Generate a stack from a description. */
        AiGenerateRequest: {
            description: string;
            /** @description The target to size for and plan against. */
            target?: string | null;
            /**
             * Format: int32
             * @description Repair rounds (1–5, default 3).
             */
            max_rounds?: number | null;
        };
        /** @description A generated stack: it loads without errors; its advice and, with a target, its plan. */
        AiGenerated: {
            compose: string;
            rounds: components["schemas"]["AiRound"][];
            advice: components["schemas"]["Advice"][];
            /** @description The plan against the target, one line per action. */
            plan?: string[];
            model: string;
            /** Format: int64 */
            prompt_tokens: number;
            /** Format: int64 */
            completion_tokens: number;
        };
        /** @description Proposals for an existing stack, as a diff: never applied without the user. */
        AiProposal: {
            summary: string;
            compose?: string | null;
            diff?: string | null;
            advice: components["schemas"]["Advice"][];
            model: string;
        };
        /** @description An organization's OpenAI-compatible provider (the API key is never shown). */
        AiProvider: {
            base_url: string;
            model: string;
            api_key_set: boolean;
            /** Format: int64 */
            timeout_s: number;
            /** Format: int32 */
            max_tokens: number;
            /**
             * Format: int64
             * @description Tokens the organization may use per calendar month (0: no limit).
             */
            monthly_token_budget: number;
            /**
             * Format: int64
             * @description Tokens used this month.
             */
            tokens_this_month: number;
            /** @description Ask for JSON-schema constrained output (llama.cpp, vLLM, OpenAI). */
            json_schema: boolean;
        };
        /** @description One AI call of the organization (the audit of AI use). */
        AiRequestRecord: {
            id: string;
            user: string;
            kind: string;
            model: string;
            /** Format: int64 */
            prompt_tokens: number;
            /** Format: int64 */
            completion_tokens: number;
            /** Format: int64 */
            duration_ms: number;
            outcome: string;
            /** Format: date-time */
            at: string;
        };
        /** @description One round of the generate-and-repair loop. */
        AiRound: {
            /** Format: int32 */
            round: number;
            /** @description What WindFlow's loader and advisor found in that round's answer (`file:line: field: message`). */
            problems: string[];
        };
        ApiToken: {
            id: string;
            name: string;
            /** @description The token's first characters, to tell tokens apart. */
            prefix: string;
            scopes: components["schemas"]["TokenScope"][];
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            expires_at?: string | null;
            /** Format: date-time */
            last_used_at?: string | null;
            /** Format: date-time */
            revoked_at?: string | null;
        };
        /** @description Approve or reject a waiting approval node. */
        ApprovalDecision: {
            approve: boolean;
            comment?: string | null;
        };
        AuditEntry: {
            id: string;
            organization?: string | null;
            actor: string;
            action: string;
            resource: string;
            detail: Record<string, never>;
            ip?: string | null;
            /** Format: date-time */
            at: string;
        };
        /** @description An entry of a snapshot (a file or folder). */
        BackupEntry: {
            name: string;
            /** @description `file`, `dir`, `symlink`, … */
            kind: string;
            /** @description The path inside the item (what `paths` of a restore takes). */
            path: string;
            /** Format: int64 */
            size?: number | null;
            mtime?: string | null;
        };
        /** @description Where a backup repository keeps its data (restic's repository location). */
        BackupLocation: {
            /** @description `https://host[:port]` (no path). */
            endpoint: string;
            bucket: string;
            prefix?: string | null;
            region?: string | null;
            /** @enum {string} */
            kind: "s3";
        } | {
            path: string;
            volume?: boolean;
            /** @enum {string} */
            kind: "folder";
        } | {
            host: string;
            /** Format: int32 */
            port?: number;
            user: string;
            path: string;
            /** @enum {string} */
            kind: "sftp";
        };
        /**
         * @description A stack's backup policy as in effect: set through the API, or read from the compose file's
         *     `x-windflow.backup`.
         */
        BackupPolicy: {
            stack: string;
            /** @description `api` or `compose`. */
            source: string;
            enabled: boolean;
            /**
             * @description The policy (docs/backups.md): repository, schedule, timezone, retention, volumes,
             *     binds, detect_databases, databases, consistency, exclude, hooks, check, drill.
             */
            policy: Record<string, never>;
            /** Format: date-time */
            next_backup_at?: string | null;
            /** Format: date-time */
            next_check_at?: string | null;
            /** Format: date-time */
            next_drill_at?: string | null;
            /** Format: date-time */
            last_success_at?: string | null;
        };
        /** @description A backup repository (its credentials and password are never shown). */
        BackupRepository: {
            id: string;
            name: string;
            location: components["schemas"]["BackupLocation"];
            /**
             * @description The target whose engine runs the repository's own operations (initialization,
             *     checks); a folder repository lives there.
             */
            target: string;
            credentials_set: boolean;
            /** Format: date-time */
            initialized_at?: string | null;
            /** Format: date-time */
            checked_at?: string | null;
            check_ok?: boolean | null;
            check_message?: string | null;
            /** Format: date-time */
            created_at: string;
        };
        /** @description A backup operation: a backup, restore, check, drill or prune. */
        BackupRun: {
            id: string;
            kind: string;
            status: string;
            trigger: string;
            stack?: string | null;
            repository: string;
            requested_by: string;
            params: Record<string, never>;
            /**
             * @description Progress and outcome: items with their snapshot, sizes and durations; for a drill,
             *     its checks.
             */
            result: Record<string, never>;
            error?: string | null;
            /** Format: int64 */
            attempts: number;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            started_at?: string | null;
            /** Format: date-time */
            finished_at?: string | null;
        };
        /** @description One snapshot (one item of one backup run). */
        BackupSnapshot: {
            id: string;
            run: string;
            stack: string;
            repository: string;
            item: string;
            kind: string;
            engine?: string | null;
            path: string;
            /** Format: int64 */
            files: number;
            /** Format: int64 */
            size_bytes: number;
            /** Format: int64 */
            added_bytes: number;
            /** Format: int64 */
            duration_ms: number;
            /** Format: date-time */
            created_at: string;
        };
        /**
         * @description A catalog source (server administrators add them; every organization sees their
         *     templates).
         */
        CatalogSource: {
            name: string;
            /** @description `git` or `http`. */
            kind: string;
            url: string;
            path?: string | null;
            reference?: string | null;
            /** @description `coolify`, `portainer` or `windflow`. */
            format: string;
            /** Format: int64 */
            refresh_interval_s: number;
            /** Format: date-time */
            refreshed_at?: string | null;
            refresh_error?: string | null;
            /** Format: int64 */
            templates: number;
            /** @description The last import's report: what could not be imported or mapped, per template. */
            report: components["schemas"]["ImportNote"][];
        };
        /** @description A certificate the gateways serve. Its private key never leaves the server. */
        Certificate: {
            name: string;
            /** @description `acme` (issued and renewed by WindFlow) or `uploaded`. */
            source: string;
            /** @description The names it covers (its subject alternative names). */
            domains: string[];
            issuer: string;
            serial: string;
            /** Format: date-time */
            not_before: string;
            /** Format: date-time */
            not_after: string;
            /**
             * Format: date-time
             * @description When WindFlow renews it (ACME certificates: at two thirds of their lifetime).
             */
            renewal_at?: string | null;
            /** @description `valid`, `expiring` (within 14 days) or `expired`. */
            status: string;
            /** @description The last renewal's error; the certificate keeps being served meanwhile. */
            renewal_error?: string | null;
            /** Format: date-time */
            updated_at: string;
        };
        ChangePasswordRequest: {
            current_password: string;
            new_password: string;
        };
        Check: {
            ok: boolean;
            detail?: string | null;
        };
        CheckRequest: {
            /**
             * Format: int32
             * @description The percentage of the data read back and verified (0: the structure only).
             */
            read_data?: number;
        };
        /** @description One resource-usage sample of a running container. */
        ContainerStats: {
            id: string;
            /**
             * Format: double
             * @description Percent of one CPU core over the engine's last sampling interval.
             */
            cpu_percent: number;
            /** Format: int64 */
            memory_bytes: number;
            /** Format: int64 */
            memory_limit_bytes: number;
        };
        /**
         * @description Add a backup repository. It is initialized (or, with `password`, an existing restic
         *     repository is opened) before it is stored: a location WindFlow cannot use is refused.
         */
        CreateBackupRepositoryRequest: {
            name: string;
            target: string;
            location: components["schemas"]["BackupLocation"];
            access_key_id?: string | null;
            secret_access_key?: string | null;
            /** @description An SFTP repository's private key (OpenSSH format). */
            ssh_private_key?: string | null;
            /** @description An SFTP repository's host key line(s), as in `known_hosts`. */
            ssh_known_hosts?: string | null;
            /**
             * @description The password of an existing restic repository to attach; a new repository gets a
             *     random one, sealed by the server's keyring.
             */
            password?: string | null;
        };
        /** @description Add a catalog source. */
        CreateCatalogSourceRequest: {
            name: string;
            /**
             * @description A git repository (`https://…`, `git://…`, `ssh://…`, `file://…`) or, with `kind: http`,
             *     the URL of one file (a Portainer list, a template).
             */
            url: string;
            /** @description `git` (default) or `http`. */
            kind?: string | null;
            /** @description The folder or file inside the repository (`templates/compose`). */
            path?: string | null;
            /** @description A branch or tag. */
            reference?: string | null;
            /** @description `coolify`, `portainer` or `windflow`. */
            format: string;
            /**
             * Format: int64
             * @description Seconds between scheduled refreshes (default one day; 0: on demand only).
             */
            refresh_interval_s?: number | null;
        };
        CreateCustomRoleRequest: {
            name: string;
            description?: string;
            /** @description At least one of `read`, `deploy`, `configure`, `audit`, `manage_members`. */
            permissions: components["schemas"]["Permission"][];
        };
        CreateDeploymentRequest: {
            stack: string;
            /**
             * Format: int64
             * @description The stack version; default the newest.
             */
            version?: number | null;
            /** @description The target's name. Either this or `selector`. */
            target?: string | null;
            /**
             * @description Deploy onto a target whose labels include all of these (instead of naming one); the
             *     `strategy` picks among them.
             */
            selector?: {
                [key: string]: string;
            } | null;
            strategy?: components["schemas"]["PlacementStrategy"];
            /**
             * @description With a selector: when the chosen target fails (unreachable, agent gone), move to the
             *     next eligible target instead of failing.
             */
            failover?: boolean;
            /** @description The environment whose variables apply; default the target's. */
            environment?: string | null;
            kind?: components["schemas"]["DeploymentKind"] | null;
        };
        /**
         * @description A DNS provider to register. WindFlow lists each zone with the credential before storing
         *     anything.
         */
        CreateDnsProviderRequest: {
            name: string;
            /** @description `rfc2136` or `powerdns`. */
            kind: string;
            zones: string[];
            /** @description `rfc2136`: the server's address (`192.0.2.53:53`). */
            server?: string | null;
            /** @description `rfc2136`: the TSIG key's name. */
            key_name?: string | null;
            /** @description `rfc2136`: `hmac-sha256` (default), `hmac-sha384` or `hmac-sha512`. */
            algorithm?: string | null;
            /** @description `powerdns`: the API's base URL. */
            api_url?: string | null;
            /** @description `powerdns`: the server id in the API [default: localhost]. */
            server_id?: string | null;
            /** @description The TSIG secret (base64) or the API key. Never returned. */
            secret: string;
        };
        /**
         * @description `POST /orgs/{org}/agents/enrollments`: a single-use token that enrolls one agent as the
         *     target `target`.
         */
        CreateEnrollmentRequest: {
            /** @description The name the agent's target gets. */
            target: string;
            /** @description The environment (name) the target belongs to. */
            environment?: string | null;
            labels?: Record<string, never>;
            /**
             * Format: int64
             * @description How long the token stays valid, in seconds [default: 3600].
             */
            ttl_seconds?: number | null;
        };
        CreateEnvironmentRequest: {
            name: string;
            description?: string;
        };
        /**
         * @description Grant a role to a user or a team (exactly one of them) on the organization (teams only:
         *     a user's organization role is their membership), an environment or a stack.
         */
        CreateGrantRequest: {
            user?: string | null;
            team?: string | null;
            /** @description A built-in role or a custom role's name. */
            role: string;
            scope: components["schemas"]["GrantScopeKind"];
            /** @description The environment's or the stack's name; required unless the scope is the organization. */
            scope_name?: string | null;
        };
        /**
         * @description Add a notification channel: `channel` holds `kind` and its settings, credentials
         *     included (they are sealed and never shown again).
         */
        CreateNotificationChannelRequest: {
            name: string;
            channel: Record<string, never>;
        };
        CreateOrganizationRequest: {
            /** @description Lowercase letters, digits and dashes; used in URLs. */
            slug: string;
            name?: string | null;
        };
        CreateServiceAccountRequest: {
            name: string;
            description?: string;
            role?: components["schemas"]["Role"] | null;
        };
        CreateStackRequest: {
            /** @description The stack's name, which is also the compose project name on targets. */
            name: string;
            description?: string;
            /** @description The compose file. */
            content: string;
            message?: string | null;
        };
        CreateTargetRequest: {
            name: string;
            kind?: components["schemas"]["TargetKind"];
            endpoint: string;
            /** @description The environment (name) the target belongs to. */
            environment?: string | null;
            labels?: Record<string, never>;
            tls?: components["schemas"]["TargetTlsRequest"] | null;
            ssh?: components["schemas"]["TargetSshRequest"] | null;
            /**
             * @description Share an engine another organization registered first with this organization
             *     (server administrators only; audited). Without it such a target is refused (409).
             */
            shared?: boolean;
            kubernetes?: components["schemas"]["TargetKubernetesRequest"] | null;
        };
        CreateTeamRequest: {
            name: string;
            description?: string;
        };
        CreateTokenRequest: {
            name: string;
            /** @description `read` (GET only) or `write` (everything the user may do). Default: both. */
            scopes?: components["schemas"]["TokenScope"][];
            /**
             * Format: int32
             * @description Days until it expires; none for a token that never expires.
             */
            expires_in_days?: number | null;
        };
        CreateUserRequest: {
            username: string;
            display_name?: string | null;
            password: string;
            is_admin?: boolean;
        };
        /** @description A new token: the secret is shown this once and never again. */
        CreatedToken: {
            token: components["schemas"]["ApiToken"];
            secret: string;
        };
        CustomRole: {
            name: string;
            description: string;
            /** @description What the role allows. */
            permissions: components["schemas"]["Permission"][];
            /** Format: date-time */
            created_at: string;
        };
        /** @description Deploy a template as a new stack (or, with `dry_run`, only show what it would be). */
        DeployTemplateRequest: {
            /** @description The new stack's name. */
            stack: string;
            description?: string;
            /** @description The target to size for (its capacity is checked) and, with `deploy`, to deploy onto. */
            target?: string | null;
            size?: components["schemas"]["SizeRequest"];
            /** @description Input values by name; secrets among them are stored encrypted. */
            values?: {
                [key: string]: string;
            };
            /** @description Also start a deployment onto `target`. */
            deploy?: boolean;
            /** @description Resolve, size and validate only: nothing is created. */
            dry_run?: boolean;
        };
        /** @description A stack running on a target. */
        DeployedStack: {
            target: string;
            /** Format: int64 */
            version: number;
            /** @description The deployment that put it there. */
            deployment: string;
            /** Format: date-time */
            since?: string | null;
        };
        Deployment: {
            id: string;
            stack: string;
            /** Format: int64 */
            version: number;
            target: string;
            environment?: string | null;
            kind: components["schemas"]["DeploymentKind"];
            state: components["schemas"]["DeploymentState"];
            requested_by: string;
            /** @description The plan: one line per change, once computed. */
            plan?: string[] | null;
            placement?: components["schemas"]["Placement"] | null;
            error?: string | null;
            cancel_requested: boolean;
            /** Format: int64 */
            attempts: number;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            started_at?: string | null;
            /** Format: date-time */
            finished_at?: string | null;
        };
        /**
         * @description One persisted step event of a deployment. `data` is the engine's event (`event` names its
         *     kind: `planned`, `step_started`, `step_progress`, `step_finished`, `service_state`,
         *     `warning`, `rollback_*`, `finished`) or the control plane's own (`state`, `log`).
         */
        DeploymentEvent: {
            /** Format: int64 */
            seq: number;
            /** Format: date-time */
            at: string;
            data: Record<string, never>;
        };
        /**
         * @description Why a deployment exists.
         * @enum {string}
         */
        DeploymentKind: "deploy" | "rollback" | "remove";
        /** @enum {string} */
        DeploymentState: "queued" | "running" | "succeeded" | "failed" | "rolled_back" | "cancelled";
        /** @description A deployment in a line: enough for a list's status column. */
        DeploymentSummary: {
            id: string;
            kind: components["schemas"]["DeploymentKind"];
            state: components["schemas"]["DeploymentState"];
            target: string;
            /** Format: int64 */
            version: number;
            /** Format: date-time */
            created_at: string;
        };
        /** @description A DNS provider WindFlow writes records through. Its credential is write-only. */
        DnsProvider: {
            name: string;
            /** @description `rfc2136` or `powerdns`. */
            kind: string;
            /** @description The zones WindFlow manages through it (`example.com`). */
            zones: string[];
            /** @description `rfc2136`: the server's address (`192.0.2.53:53`). */
            server?: string | null;
            /** @description `rfc2136`: the TSIG key's name. */
            key_name?: string | null;
            /** @description `rfc2136`: the TSIG key's HMAC (`hmac-sha256`). */
            algorithm?: string | null;
            /** @description `powerdns`: the API's base URL. */
            api_url?: string | null;
            /** @description `powerdns`: the server id in the API (`localhost`). */
            server_id?: string | null;
            /** Format: date-time */
            created_at: string;
        };
        /** @description A DNS record WindFlow created (the only records it changes or removes). */
        DnsRecord: {
            provider: string;
            zone: string;
            name: string;
            /** @description `A`, `AAAA` or `CNAME`. */
            record_type: string;
            values: string[];
            /** @description What it serves: `stack:<stack id>`. */
            owner: string;
            /** Format: date-time */
            created_at: string;
            /** @description Whether the zone's authoritative servers serve it as WindFlow wrote it. */
            health: components["schemas"]["DnsRecordHealth"];
            /** @description On a mismatch, what each server answered; when unchecked after a try, why. */
            health_detail?: string | null;
            /**
             * Format: date-time
             * @description When the last check ran.
             */
            checked_at?: string | null;
        };
        /**
         * @description A DNS record's health, as the authoritative servers answer it.
         * @enum {string}
         */
        DnsRecordHealth: "in_sync" | "mismatch" | "unchecked";
        /** @description One zone a DNS provider manages, with its DNSSEC state. */
        DnsZone: {
            provider: string;
            /** @description The provider's kind: `rfc2136` or `powerdns`. */
            kind: string;
            /** @description The zone's apex (`example.com`). */
            zone: string;
            /** @description The zone is served signed. */
            signed: boolean;
            keys: components["schemas"]["DnssecKey"][];
            /**
             * @description The DS records to hand to the registrar (`<key tag> <algorithm> <digest type>
             *     <digest>`), one per key-signing key.
             */
            ds_records: string[];
            /**
             * @description Why the state could not be read (the provider is unreachable, …); the rest is empty
             *     then.
             */
            error?: string | null;
        };
        /** @description One DNSSEC key of a zone. */
        DnssecKey: {
            /** Format: int32 */
            key_tag: number;
            /**
             * Format: int32
             * @description The algorithm's number (13).
             */
            algorithm: number;
            /** @description Its mnemonic (`ECDSAP256SHA256`). */
            algorithm_name: string;
            /** @description `ksk`, `zsk` or `csk`. */
            role: string;
            /** @description Published and signing. */
            active: boolean;
            /**
             * Format: date-time
             * @description When the server plans to replace the key, where it tells.
             */
            next_rollover?: string | null;
            /** @description The DNSKEY record data (`257 3 13 base64…`). */
            dnskey: string;
        };
        /**
         * @description What an engine says about itself and its host (`docker version` and `docker info`, and
         *     the containers' reservations): what a connection test records on a target and what
         *     placement reads. The REST API shows it as it is.
         */
        EngineInfo: {
            /**
             * @description The engine's own identity (`docker info` → `ID`), the same through every endpoint that
             *     reaches it (a socket, TCP, SSH, an agent): one engine belongs to one organization
             *     unless a server administrator shares it.
             */
            engine_id?: string | null;
            version: string;
            api_version: string;
            os: string;
            arch: string;
            /** @description The engine host's name. */
            hostname?: string;
            /** Format: int64 */
            cpus?: number;
            /**
             * Format: int64
             * @description Bytes of memory on the engine's host.
             */
            memory_bytes?: number;
            /**
             * Format: int64
             * @description Bytes reserved by running containers (their reservation, else their limit): what
             *     placement counts as taken.
             */
            reserved_memory_bytes?: number;
            /**
             * Format: int64
             * @description Free bytes on the engine's data-root filesystem; absent when the target cannot tell
             *     (a remote engine reached over TCP or SSH).
             */
            free_disk_bytes?: number | null;
            /** Format: int64 */
            containers_running?: number;
            /** @description `manager` or `worker` when the engine is part of a Swarm. */
            swarm_role?: string | null;
        };
        /** @description `POST /api/v1/agents/enroll`, sent by `windflow agent` on its first start. */
        EnrollRequest: {
            token: string;
            hostname?: string;
            version?: string;
        };
        /**
         * @description The agent's identity and credential. The credential is shown once; the agent keeps it
         *     0600 in its state directory.
         */
        EnrollResponse: {
            agent_id: string;
            credential: string;
            /** @description The organization (id) and target (name) the agent serves. */
            org: string;
            target: string;
        };
        /** @description The answer to [`CreateEnrollmentRequest`]. The token is shown once. */
        Enrollment: {
            token: string;
            target: string;
            /** Format: date-time */
            expires_at: string;
        };
        Environment: {
            id: string;
            name: string;
            description: string;
            /** Format: date-time */
            created_at: string;
        };
        /** @description One thing wrong with a request body or a compose file. */
        FieldError: {
            /** @description The field (`name`, `content`) or, for compose files, the YAML path (`services.web.ports`). */
            field: string;
            message: string;
            /**
             * Format: int32
             * @description For compose content: the 1-based line in the file.
             */
            line?: number | null;
        };
        FinishPasskeyLoginRequest: {
            ceremony: string;
            /** @description The authenticator's assertion, as WebAuthn's JSON. */
            credential: Record<string, never>;
        };
        FinishPasskeyRegistrationRequest: {
            ceremony: string;
            /** @description What to call it ("laptop", "YubiKey"). */
            name: string;
            /** @description The authenticator's `PublicKeyCredential`, as WebAuthn's JSON. */
            credential: Record<string, never>;
        };
        /** @description A target's gateway: whether it runs, and the routes it serves with their replicas. */
        GatewayInfo: {
            /** @description Whether this kind of target has a gateway (docker, ssh and agent targets do). */
            supported: boolean;
            /** @description Whether the gateway container answers. */
            running: boolean;
            image: string;
            /** @description Where the gateway takes HTTP and HTTPS on the target's host. */
            http: string;
            https: string;
            routes: components["schemas"]["GatewayRoute"][];
            /** @description Raw TCP forwards of gateway ports (the TCP gateway, HAProxy, beside the HTTP one). */
            tcp_routes?: components["schemas"]["GatewayTcpRoute"][];
            /** @description Whether the TCP gateway container runs (it exists only while TCP routes do). */
            tcp_running?: boolean;
            /** @description Why the live state could not be read, when it could not. */
            error?: string | null;
        };
        /** @description One host and path the gateway serves. */
        GatewayRoute: {
            /** @description `host` or `host/path-prefix`. */
            domain: string;
            stack: string;
            service: string;
            /** @description `auto`, `off` or a stored certificate's name. */
            tls: string;
            /** @description The certificate serving it, when it has one. */
            certificate?: string | null;
            upstreams: components["schemas"]["GatewayUpstream"][];
        };
        /** @description A gateway port forwarded to a service, whole or by TLS server name (passthrough). */
        GatewayTcpRoute: {
            /**
             * Format: int32
             * @description The gateway port on the target's host.
             */
            listen: number;
            /** @description TLS server names routed to the service; empty: the whole port. */
            sni: string[];
            stack: string;
            service: string;
            /** @description `container:port` on the gateway's network. */
            upstreams: string[];
        };
        /** @description A replica behind a route, as the gateway counts it. */
        GatewayUpstream: {
            /** @description `container:port` on the gateway's network. */
            address: string;
            /** @description No recent failed request (the gateway's passive health check). */
            healthy: boolean;
            /**
             * Format: int64
             * @description Requests in flight.
             */
            requests: number;
            /**
             * Format: int64
             * @description Recent failures.
             */
            fails: number;
        };
        /**
         * @description Where a grant applies.
         * @enum {string}
         */
        GrantScopeKind: "organization" | "environment" | "stack";
        /**
         * @description An organization's host-access policy and the narrower ones of its environments and
         *     targets. A deployment gets the organization's policy narrowed by its environment's and its
         *     target's: a narrowing only takes permissions away.
         */
        HostPolicies: {
            /** @description Set by server administrators; `baseline` when never set. */
            organization: components["schemas"]["HostPolicy"];
            /** @description By environment name. */
            environments: {
                [key: string]: components["schemas"]["HostPolicy"];
            };
            /** @description By target name. */
            targets: {
                [key: string]: components["schemas"]["HostPolicy"];
            };
        };
        /** @description A host-access policy: what host-level features a stack may use. */
        HostPolicy: {
            level: components["schemas"]["PolicyLevel"];
            /** @description Absolute host paths under which bind mounts are allowed (below `privileged`). */
            allowed_host_paths?: string[];
        };
        /** @description One line of an import report. */
        ImportNote: {
            /** @description The template's file or title in the source. */
            template: string;
            /** @description `imported`, `skipped` (not imported) or `partial` (imported with something unmapped). */
            outcome: string;
            /** @description A stable reason code (`unsupported-key`, `needs-repository`, `does-not-load`, …). */
            reason: string;
            message: string;
        };
        /** @description Everything one target's engine holds. */
        Inventory: {
            containers: components["schemas"]["InventoryContainer"][];
            images: components["schemas"]["InventoryImage"][];
            networks: components["schemas"]["InventoryNetwork"][];
            volumes: components["schemas"]["InventoryVolume"][];
        };
        InventoryContainer: {
            id: string;
            name: string;
            image: string;
            /** @description `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`. */
            state: string;
            /** @description The engine's human status (`Up 3 minutes (healthy)`). */
            status: string;
            /** @description The stack (compose project) the container belongs to, if any. */
            stack?: string | null;
            service?: string | null;
            ports: components["schemas"]["PortMapping"][];
            /**
             * Format: int64
             * @description Unix seconds.
             */
            created: number;
        };
        InventoryImage: {
            id: string;
            tags: string[];
            /** Format: int64 */
            size_bytes: number;
            /**
             * Format: int64
             * @description Unix seconds.
             */
            created: number;
            /**
             * Format: int64
             * @description Containers using it (-1 when the engine did not count).
             */
            containers: number;
        };
        InventoryNetwork: {
            id: string;
            name: string;
            driver: string;
            scope: string;
            internal: boolean;
            stack?: string | null;
        };
        InventoryVolume: {
            name: string;
            driver: string;
            mountpoint: string;
            stack?: string | null;
        };
        /** @description One pod of a workload. */
        KubePod: {
            name: string;
            /** @description `Running`, `Pending`, `Terminating`, … */
            phase: string;
            ready: boolean;
            /** Format: int64 */
            restarts: number;
            /** @description Why it is not running (`CrashLoopBackOff`), when it is not. */
            reason?: string | null;
            node?: string | null;
        };
        /** @description A WindFlow stack on a `kubernetes` target's cluster: its namespace and workloads. */
        KubeStack: {
            stack: string;
            namespace: string;
            workloads: components["schemas"]["KubeWorkload"][];
        };
        /** @description A service of a stack as the cluster runs it: a Deployment or a StatefulSet. */
        KubeWorkload: {
            service: string;
            /** @description `deployment` or `statefulset`. */
            kind: string;
            name: string;
            /** Format: int64 */
            replicas: number;
            /** Format: int64 */
            ready: number;
            /** Format: int64 */
            updated: number;
            pods: components["schemas"]["KubePod"][];
        };
        /** @description An organization's login policy. */
        LoginPolicy: {
            require_second_factor: components["schemas"]["SecondFactorRequirement"];
            password_login: components["schemas"]["PasswordLoginPolicy"];
            /** @description Who changed it last (none: never changed, the defaults). */
            updated_by?: string | null;
            /** Format: date-time */
            updated_at?: string | null;
        };
        LoginRequest: {
            username: string;
            password: string;
            /**
             * @description A TOTP code or a recovery code, for a user with a second factor (a login without one
             *     answers 401 with the problem type [`SECOND_FACTOR_REQUIRED`]).
             */
            code?: string | null;
        };
        /**
         * @description What logging out asks of the browser: the provider's RP-initiated logout URL when the
         *     session came from a provider that offers one.
         */
        LogoutInfo: {
            end_session_url?: string | null;
        };
        Member: {
            user: components["schemas"]["User"];
            role: components["schemas"]["Role"];
        };
        Membership: {
            organization: components["schemas"]["Organization"];
            role: components["schemas"]["Role"];
            /**
             * @description Permissions held beyond the role on some environment or stack (through grants to the
             *     user or its teams), or organization-wide through a team: what the console offers,
             *     the server checking each action on its environment and stack.
             */
            scoped_permissions?: components["schemas"]["Permission"][];
        };
        /** @description A notification channel (its credentials are never shown). */
        NotificationChannel: {
            name: string;
            /** @description `webhook`, `slack`, `discord`, `email`, `ntfy` or `gotify`. */
            kind: string;
            /** @description The public settings, with `<secret>_set` flags for the credentials. */
            settings: Record<string, never>;
            /** Format: date-time */
            created_at: string;
        };
        Organization: {
            id: string;
            slug: string;
            name: string;
            /** Format: date-time */
            created_at: string;
        };
        /** @description A page of results with the total count of the filtered list. */
        Page_AuditEntry: {
            items: {
                id: string;
                organization?: string | null;
                actor: string;
                action: string;
                resource: string;
                detail: Record<string, never>;
                ip?: string | null;
                /** Format: date-time */
                at: string;
            }[];
            /** Format: int64 */
            total: number;
            /** Format: int64 */
            limit: number;
            /** Format: int64 */
            offset: number;
        };
        /** @description A page of results with the total count of the filtered list. */
        Page_Deployment: {
            items: {
                id: string;
                stack: string;
                /** Format: int64 */
                version: number;
                target: string;
                environment?: string | null;
                kind: components["schemas"]["DeploymentKind"];
                state: components["schemas"]["DeploymentState"];
                requested_by: string;
                /** @description The plan: one line per change, once computed. */
                plan?: string[] | null;
                placement?: components["schemas"]["Placement"] | null;
                error?: string | null;
                cancel_requested: boolean;
                /** Format: int64 */
                attempts: number;
                /** Format: date-time */
                created_at: string;
                /** Format: date-time */
                started_at?: string | null;
                /** Format: date-time */
                finished_at?: string | null;
            }[];
            /** Format: int64 */
            total: number;
            /** Format: int64 */
            limit: number;
            /** Format: int64 */
            offset: number;
        };
        /** @description A page of results with the total count of the filtered list. */
        Page_Stack: {
            items: {
                id: string;
                name: string;
                description: string;
                /**
                 * Format: int64
                 * @description The newest version; also the stack's ETag (`"3"`).
                 */
                version: number;
                /** Format: date-time */
                created_at: string;
                /** Format: date-time */
                updated_at: string;
                /** @description Where it runs (in lists; empty elsewhere). */
                deployed?: components["schemas"]["DeployedStack"][];
                last_deployment?: components["schemas"]["DeploymentSummary"] | null;
            }[];
            /** Format: int64 */
            total: number;
            /** Format: int64 */
            limit: number;
            /** Format: int64 */
            offset: number;
        };
        /** @description A page of results with the total count of the filtered list. */
        Page_StackVersionSummary: {
            items: {
                /** Format: int64 */
                version: number;
                author: string;
                message: string;
                /** Format: date-time */
                created_at: string;
            }[];
            /** Format: int64 */
            total: number;
            /** Format: int64 */
            limit: number;
            /** Format: int64 */
            offset: number;
        };
        /** @description A page of results with the total count of the filtered list. */
        Page_User: {
            items: {
                id: string;
                username: string;
                display_name: string;
                /** @description A server administrator (manages users and organizations). */
                is_admin: boolean;
                disabled: boolean;
                /** Format: date-time */
                created_at: string;
                /** Format: date-time */
                last_login_at?: string | null;
            }[];
            /** Format: int64 */
            total: number;
            /** Format: int64 */
            limit: number;
            /** Format: int64 */
            offset: number;
        };
        /**
         * @description The first step of a WebAuthn ceremony: its id, to send back with the answer, and the
         *     options for `navigator.credentials.create` (registration) or `.get` (login), as
         *     WebAuthn's JSON (binary fields in base64url).
         */
        PasskeyChallenge: {
            ceremony: string;
            options: Record<string, never>;
        };
        /** @description One of your passkeys. */
        PasskeyInfo: {
            id: string;
            name: string;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            last_used_at?: string | null;
        };
        /**
         * @description Whether members may log in with a password.
         * @enum {string}
         */
        PasswordLoginPolicy: "allowed" | "disabled";
        /**
         * @description What an endpoint needs.
         * @enum {string}
         */
        Permission: "read" | "deploy" | "configure" | "audit" | "manage_members";
        /** @description A deployment's placement: the selector it was given, and where it went and why. */
        Placement: {
            selector: {
                [key: string]: string;
            };
            strategy: components["schemas"]["PlacementStrategy"];
            failover: boolean;
            /** @description The targets tried before the current one (failover), in order. */
            tried?: string[];
            /** @description Why the current target was chosen (`most free memory: 3.1 GiB of 7.8 GiB`). */
            reason: string;
        };
        /**
         * @description How a deployment picks its target among those matching a label selector.
         * @enum {string}
         */
        PlacementStrategy: "most_free_memory";
        /** @description What a deployment would do, computed against what the target really runs. */
        PlanPreview: {
            /** Format: int64 */
            version: number;
            changes: string[];
            unchanged: boolean;
        };
        PlanRequest: {
            target: string;
            /** Format: int64 */
            version?: number | null;
            environment?: string | null;
        };
        /**
         * @description How much of the host a stack may reach, from most to least permissive.
         * @enum {string}
         */
        PolicyLevel: "privileged" | "baseline" | "restricted";
        PortMapping: {
            host_ip?: string | null;
            /** Format: int32 */
            host_port?: number | null;
            /** Format: int32 */
            container_port: number;
            protocol: string;
        };
        /** @description An RFC 9457 problem: every error the API returns, as `application/problem+json`. */
        Problem: {
            /** @description A URI naming the kind of problem (`https://windflow.dev/problems/conflict`). */
            type: string;
            title: string;
            /** Format: int32 */
            status: number;
            detail?: string | null;
            /** @description The request path. */
            instance?: string | null;
            /** @description The request id, also in the `x-request-id` response header and the server log. */
            request_id?: string | null;
            /** @description Field-level errors (validation): where and what. */
            errors?: components["schemas"]["FieldError"][];
        };
        /** @description Save a workflow: a new version when the document changed. */
        PutWorkflowRequest: {
            document: Record<string, never>;
            /**
             * Format: int64
             * @description The version this edit is based on; a save over a newer version is refused (409).
             */
            base_version?: number | null;
        };
        Readiness: {
            ready: boolean;
            database: components["schemas"]["Check"];
            engine: components["schemas"]["Check"];
        };
        /** @description One-time recovery codes: each logs in once in place of a TOTP code. Shown this once. */
        RecoveryCodes: {
            codes: string[];
        };
        /** @description Remove your TOTP factor: your password or a current code (TOTP or recovery). */
        RemoveTotpRequest: {
            password?: string | null;
            code?: string | null;
        };
        /** @description An input's value as resolved for a deployment; a secret's value is never shown. */
        ResolvedInput: {
            name: string;
            secret: boolean;
            value?: string | null;
            /** @description `given`, `default`, `generated`, `kept`, `formula` or `builtin`. */
            origin: string;
            /** @description For a formula: the formula and the figures it used. */
            why?: string | null;
        };
        /** @description What a restore does (the answer to a dry run), and the run when it was started. */
        RestorePlan: {
            from_run: string;
            stack: string;
            target: string;
            items: components["schemas"]["RestorePlanItem"][];
            run?: components["schemas"]["BackupRun"] | null;
        };
        /** @description One item of a restore plan. */
        RestorePlanItem: {
            item: string;
            snapshot: string;
            /** @description What is replaced: a volume's engine name, or a database. */
            replaces: string;
            /** @description The services stopped while it is replaced. */
            stops: string[];
            /** Format: int64 */
            size_bytes: number;
        };
        /** @description Restore a backup. */
        RestoreRequest: {
            /** @description The backup run to restore (its snapshots); the latest successful one when absent. */
            run?: string | null;
            /** @description Only these items (`volume:data`, `database:db`); every item of the run when absent. */
            items?: string[];
            /** @description Only these paths inside a volume item (single files or folders), e.g. `uploads/a.png`. */
            paths?: string[];
            /** @description Restore into this stack instead (a migration, or a copy); the same stack by default. */
            into_stack?: string | null;
            /** @description The target of the destination stack, when it runs on several. */
            target?: string | null;
            /** @description Only show the plan: what would be replaced and which services stopped. */
            dry_run?: boolean;
        };
        /**
         * @description A member's role in one organization, from least to most powerful.
         * @enum {string}
         */
        Role: "viewer" | "operator" | "admin" | "owner";
        /** @description A role held by a user or a team on the organization, one environment or one stack. */
        RoleGrant: {
            id: string;
            /** @description The user's name, when granted to a user. */
            user?: string | null;
            /** @description The team's name, when granted to a team. */
            team?: string | null;
            /** @description A built-in role (`viewer`, `operator`, `admin`, `owner`) or a custom role's name. */
            role: string;
            custom: boolean;
            scope: components["schemas"]["GrantScopeKind"];
            /** @description The environment's or the stack's name (absent on the organization). */
            scope_name?: string | null;
            /** Format: date-time */
            created_at: string;
        };
        RollbackRequest: {
            target: string;
            /**
             * Format: int64
             * @description The version to return to; default the last one that succeeded before the current.
             */
            version?: number | null;
        };
        /** @description One of your second factors. */
        SecondFactor: {
            kind: components["schemas"]["SecondFactorKind"];
            /** @description False while the enrolment waits for its first code; a pending factor does not count. */
            confirmed: boolean;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            last_used_at?: string | null;
            /**
             * Format: int64
             * @description Unused recovery codes left.
             */
            recovery_codes_left: number;
        };
        /** @description A code from the authenticator app (or, where said, a recovery code). */
        SecondFactorCode: {
            code: string;
        };
        /** @enum {string} */
        SecondFactorKind: "totp";
        /**
         * @description Who in an organization must have a second factor.
         * @enum {string}
         */
        SecondFactorRequirement: "none" | "admins" | "all";
        ServiceAccount: {
            name: string;
            description: string;
            /** @description The user name its tokens act as (it never logs in with a password). */
            username: string;
            /** @description Its organization role (more can be granted on environments and stacks). */
            role: components["schemas"]["Role"];
            /** Format: date-time */
            created_at: string;
        };
        /**
         * @description The domains of one service of a stack: from its compose file (`x-windflow`), or set in
         *     the control plane for every environment or one.
         */
        ServiceDomains: {
            service: string;
            /** @description `host` or `host/path-prefix`. */
            domains: string[];
            /**
             * Format: int32
             * @description The container port the gateway forwards to.
             */
            port: number;
            /** @description `auto` (ACME), `off`, or the name of a stored certificate. */
            tls: string;
            /** @description `compose` (the stack's newest version) or `control-plane`. */
            source: string;
            /** @description The health-check path requested on each replica, when there is one. */
            health?: string | null;
            /** @description The environment a control-plane setting is for; absent when it applies to all. */
            environment?: string | null;
            updated_by?: string | null;
            /** Format: date-time */
            updated_at?: string | null;
        };
        /** @description Who is logged in, and the CSRF token a browser must echo in `x-csrf-token`. */
        SessionInfo: {
            user: components["schemas"]["User"];
            organizations: components["schemas"]["Membership"][];
            /** @description Present for cookie sessions; API tokens need none. */
            csrf_token?: string | null;
            /** Format: date-time */
            expires_at?: string | null;
            /**
             * @description The organizations (slugs) whose login policy requires a second factor you have not
             *     enrolled: their endpoints answer 403 until you enrol one.
             */
            second_factor_enrolment_required?: string[];
        };
        /** @description Set the organization's AI provider. `api_key` absent keeps the stored key; empty clears it. */
        SetAiProviderRequest: {
            base_url: string;
            model: string;
            api_key?: string | null;
            /** Format: int64 */
            timeout_s?: number | null;
            /** Format: int32 */
            max_tokens?: number | null;
            /** Format: int64 */
            monthly_token_budget?: number | null;
            json_schema?: boolean;
        };
        /** @description Set a stack's backup policy through the API (it then wins over the compose file's). */
        SetBackupPolicyRequest: {
            enabled?: boolean;
            policy: Record<string, never>;
        };
        /** @description Sets a service's domains in the control plane, over its compose file's. */
        SetDomainsRequest: {
            domains: string[];
            /**
             * Format: int32
             * @description Default: the compose file's `x-windflow.port`, else the service's only declared port.
             */
            port?: number | null;
            /** @description Default: `auto`. */
            tls?: string | null;
            /**
             * @description A path the gateway requests on each replica to keep unhealthy ones out of rotation
             *     (default: the compose file's `x-windflow.health`, else none).
             */
            health?: string | null;
        };
        SetLoginPolicyRequest: {
            require_second_factor: components["schemas"]["SecondFactorRequirement"];
            password_login: components["schemas"]["PasswordLoginPolicy"];
        };
        SetMemberRequest: {
            /** @description The user's name (or id). */
            user: string;
            role: components["schemas"]["Role"];
        };
        SetVariableRequest: {
            value: string;
            secret?: boolean;
        };
        /** @description The resources to size a template for: a class, or explicit figures (which win). */
        SizeRequest: {
            /** @description `small` (default), `medium` or `large`. */
            class?: string | null;
            /** Format: double */
            cpus?: number | null;
            /** @description Bytes, or a size such as `512MiB`. */
            memory?: string | null;
            disk?: string | null;
        };
        /**
         * @description Which claims of the ID token (or userinfo) give the user's name, email, display name and
         *     groups.
         */
        SsoClaimMapping: {
            username?: string;
            email?: string;
            display_name?: string;
            groups?: string;
        };
        /** @description Exchange the one-time code a CLI received on its loopback redirect for an API token. */
        SsoCliExchangeRequest: {
            code: string;
            /** @description The token's name (default `windflow CLI (sso)`). */
            name?: string | null;
        };
        /**
         * @description Members of `group` at the provider get `role` in organization `org` (refreshed at each
         *     login: a group that disappears takes the role away).
         */
        SsoGroupMapping: {
            group: string;
            /** @description The organization's slug. */
            org: string;
            role: components["schemas"]["Role"];
        };
        /** @description An OpenID Connect provider as administrators see it (the client secret never). */
        SsoProvider: {
            slug: string;
            display_name: string;
            issuer_url: string;
            client_id: string;
            client_secret_set: boolean;
            scopes: string[];
            /** @description Email domains allowed to log in (empty: any). */
            allowed_domains: string[];
            /** @description Unknown identities become new users (else an administrator links them first). */
            auto_provision: boolean;
            claims: components["schemas"]["SsoClaimMapping"];
            group_mappings: components["schemas"]["SsoGroupMapping"][];
            /** @description The redirect URI to register at the provider for this client. */
            redirect_uri: string;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            updated_at: string;
        };
        /** @description Add or change a provider. On change, `client_secret` absent keeps the stored secret. */
        SsoProviderRequest: {
            /** @description Lowercase letters, digits and dashes; fixed once created (ignored on change). */
            slug?: string;
            display_name: string;
            issuer_url: string;
            client_id: string;
            client_secret?: string | null;
            /** @description Scopes besides `openid` (default: `email profile`). */
            scopes?: string[];
            allowed_domains?: string[];
            auto_provision?: boolean;
            claims?: components["schemas"]["SsoClaimMapping"] | null;
            group_mappings?: components["schemas"]["SsoGroupMapping"][];
        };
        /** @description A provider on the login page. */
        SsoProviderSummary: {
            slug: string;
            display_name: string;
        };
        Stack: {
            id: string;
            name: string;
            description: string;
            /**
             * Format: int64
             * @description The newest version; also the stack's ETag (`"3"`).
             */
            version: number;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            updated_at: string;
            /** @description Where it runs (in lists; empty elsewhere). */
            deployed?: components["schemas"]["DeployedStack"][];
            last_deployment?: components["schemas"]["DeploymentSummary"] | null;
        };
        /** @description A stack with the content of one version. */
        StackDetail: {
            stack: components["schemas"]["Stack"];
            current: components["schemas"]["StackVersion"];
            /** @description Services the compose file defines (empty when it no longer loads). */
            services: string[];
            /** @description Where it runs: per target, the version its last successful deployment left there. */
            deployed?: components["schemas"]["DeployedStack"][];
            /**
             * @description Its deletion was asked for: it is being removed from its targets and takes no new
             *     deployment.
             */
            deleting?: boolean;
        };
        /** @description A unified diff between two versions. */
        StackDiff: {
            /** Format: int64 */
            from: number;
            /** Format: int64 */
            to: number;
            unified: string;
            added_lines: number;
            removed_lines: number;
        };
        /** @description The template a stack came from, and whether its source has a newer version. */
        StackTemplateInfo: {
            source: string;
            id: string;
            version: string;
            /** @description The version the catalog has now, when it differs. */
            available?: string | null;
            size: unknown;
            inputs: unknown;
        };
        StackVersion: {
            /** Format: int64 */
            version: number;
            content: string;
            author: string;
            message: string;
            /** Format: date-time */
            created_at: string;
        };
        StackVersionSummary: {
            /** Format: int64 */
            version: number;
            author: string;
            message: string;
            /** Format: date-time */
            created_at: string;
        };
        /** @description Start a backup of a stack now. */
        StartBackupRequest: {
            /** @description The target the stack runs on, when it runs on several. */
            target?: string | null;
        };
        StartPasskeyLoginRequest: {
            username: string;
        };
        StartPasskeyRegistrationRequest: {
            /** @description Your current password: a session alone cannot add a way in. */
            password: string;
        };
        /** @description Start a TOTP enrolment: your current password, again. */
        StartTotpRequest: {
            password: string;
        };
        /** @description Start a run. */
        StartWorkflowRunRequest: {
            /** @description Values of the workflow's declared inputs. */
            inputs?: {
                [key: string]: unknown;
            };
            /**
             * @description Re-run from a node of an earlier run: the nodes that ran before it keep their
             *     results, it and everything after it run again.
             */
            from_run?: string | null;
            from_node?: string | null;
        };
        /** @description One node of a Swarm, as its manager lists it. */
        SwarmNode: {
            id: string;
            hostname: string;
            /** @description `manager` or `worker`. */
            role: string;
            /** @description `active`, `pause` or `drain`. */
            availability: string;
            /** @description `ready`, `down`, ... */
            state: string;
            address?: string | null;
            leader: boolean;
            engine_version?: string | null;
            os?: string | null;
            arch?: string | null;
            labels: {
                [key: string]: string;
            };
        };
        Target: {
            id: string;
            name: string;
            kind: components["schemas"]["TargetKind"];
            /** @description `unix:///var/run/docker.sock`, `tcp://host:2376`, `ssh://user@host`. */
            endpoint: string;
            environment?: string | null;
            labels: Record<string, never>;
            status: components["schemas"]["TargetStatus"];
            info?: components["schemas"]["EngineInfo"] | null;
            /** Format: date-time */
            checked_at?: string | null;
            /** Format: date-time */
            created_at: string;
            /**
             * @description Whether a client key (TLS or SSH) is stored for the target; the key itself is
             *     never returned.
             */
            has_client_key?: boolean;
            /** @description The SHA-256 fingerprint of the SSH host key pinned for a target reached over SSH. */
            host_key_fingerprint?: string | null;
            /**
             * @description A server administrator shared the target's engine with this organization: it may
             *     reach an engine another organization registered first.
             */
            shared?: boolean;
        };
        /** @description One entry of a target's health history. */
        TargetCheck: {
            /** Format: date-time */
            checked_at: string;
            status: components["schemas"]["TargetStatus"];
            /** Format: int64 */
            latency_ms: number;
            error?: string | null;
        };
        /**
         * @description How a target is reached, and so which deploy mode serves it.
         * @enum {string}
         */
        TargetKind: "docker" | "ssh" | "agent" | "swarm" | "kubernetes";
        /**
         * @description A `kubernetes` target's cluster: a kubeconfig (stored encrypted, never returned: it holds
         *     the credentials) and where stacks go.
         */
        TargetKubernetesRequest: {
            /** @description The kubeconfig's YAML text (server URL, CA, and a token or client certificate). */
            kubeconfig: string;
            /** @description Its context (default: its current context). */
            context?: string | null;
            /** @description The storage class of named volumes' claims (default: the cluster's). */
            storage_class?: string | null;
            /** @description The ingress class of domains' Ingresses (default: the cluster's). */
            ingress_class?: string | null;
            /** @description A cert-manager cluster issuer for domains with `tls: auto`. */
            cluster_issuer?: string | null;
        };
        /**
         * @description SSH for an `ssh://` target: the OpenSSH private key to log in with (stored encrypted,
         *     never returned) and the host key to trust, as an OpenSSH public key line
         *     (`ssh-ed25519 AAAA…`) or its `SHA256:` fingerprint. Without a host key, the target is
         *     trusted later with `POST …/targets/{target}/trust`.
         */
        TargetSshRequest: {
            private_key?: string | null;
            host_key?: string | null;
        };
        /**
         * @description How a target answered its last connection check.
         * @enum {string}
         */
        TargetStatus: "unknown" | "up" | "down";
        /** @description The answer of `POST …/targets/{name}/test`. */
        TargetTest: {
            ok: boolean;
            info?: components["schemas"]["EngineInfo"] | null;
            error?: string | null;
            /** Format: int64 */
            latency_ms: number;
        };
        /**
         * @description TLS for a `tcp://` target: the CA that signed the engine's certificate, and the client
         *     certificate and key (PEM text). The key is stored encrypted and never returned.
         */
        TargetTlsRequest: {
            ca: string;
            cert?: string | null;
            key?: string | null;
        };
        Team: {
            name: string;
            description: string;
            /** @description The members' user names. */
            members: string[];
            /** Format: date-time */
            created_at: string;
        };
        /** @description What deploying a template made (or, for a dry run, would make). */
        TemplateDeployment: {
            template: components["schemas"]["TemplateSummary"];
            stack: string;
            size: components["schemas"]["TemplateSize"];
            inputs: components["schemas"]["ResolvedInput"][];
            /** @description The advisor's findings and the loader's warnings, with lines. */
            advice: components["schemas"]["Advice"][];
            warnings?: string[];
            /** @description The deployment started with `deploy`. */
            deployment?: string | null;
            dry_run: boolean;
        };
        /** @description A template with its inputs, sizes and compose file. */
        TemplateDetail: components["schemas"]["TemplateSummary"] & {
            inputs: components["schemas"]["TemplateInput"][];
            sizes: components["schemas"]["TemplateSize"][];
            /** @description The template's compose file. */
            compose: string;
            /** @description The advisor's findings on the template itself. */
            advice?: components["schemas"]["Advice"][];
        };
        /** @description One input of a template: a `${VARIABLE}` of its compose file. */
        TemplateInput: {
            name: string;
            label: string;
            description?: string;
            /** @description `string`, `number`, `boolean`, `enum`, `secret`, `domain`, `port` or `size`. */
            kind: string;
            required: boolean;
            default?: string | null;
            options?: string[];
            /** Format: double */
            min?: number | null;
            /** Format: double */
            max?: number | null;
            pattern?: string | null;
            /** @description How a value is generated when none is given (`password`, `hex:32`, …). */
            generate?: string | null;
            /** @description The sizing formula its value is computed with (`memory / 4`). */
            formula?: string | null;
        };
        /** @description A size class of a template: the resources it is given. */
        TemplateSize: {
            /** @description `small`, `medium` or `large`. */
            class: string;
            /** Format: double */
            cpus: number;
            /** Format: int64 */
            memory_bytes: number;
            /** Format: int64 */
            disk_bytes: number;
        };
        /** @description A template of the catalog, as listed. */
        TemplateSummary: {
            /** @description `builtin`, or the name of the catalog source it came from. */
            source: string;
            id: string;
            name: string;
            version: string;
            description: string;
            categories: string[];
            tags?: string[];
            logo?: string | null;
            documentation?: string | null;
        };
        /** @description The result of a template upgrade: the diff, and the new version unless a dry run. */
        TemplateUpgrade: {
            from: string;
            to: string;
            diff: string;
            /** Format: int64 */
            stack_version?: number | null;
            inputs: components["schemas"]["ResolvedInput"][];
        };
        /** @enum {string} */
        TokenScope: "read" | "write";
        /**
         * @description A pending TOTP factor: add it to an authenticator app (scan `qr_svg` or type `secret`),
         *     then prove one code at `POST /auth/factors/totp/confirm`. The secret is shown this once.
         */
        TotpEnrolment: {
            /** @description The shared secret, base32 (RFC 4648, no padding). */
            secret: string;
            /** @description `otpauth://totp/…` (SHA-1, 6 digits, 30 s). */
            otpauth_uri: string;
            /** @description The URI as a QR code, an SVG document. */
            qr_svg: string;
        };
        /**
         * @description `POST …/targets/{target}/trust`: the fingerprint of the SSH host key to pin, checked
         *     against the key the host offers.
         */
        TrustTargetRequest: {
            /** @description `SHA256:…`, as `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints it. */
            fingerprint: string;
        };
        /** @description Change a repository's name or credentials (absent fields are kept). */
        UpdateBackupRepositoryRequest: {
            name?: string | null;
            access_key_id?: string | null;
            secret_access_key?: string | null;
            ssh_private_key?: string | null;
            ssh_known_hosts?: string | null;
        };
        /**
         * @description A new version of a stack. Send `If-Match: "<version>"` to refuse the write when someone
         *     else pushed in between.
         */
        UpdateStackRequest: {
            content: string;
            message?: string | null;
        };
        /** @description `PATCH …/targets/{name}`: what may change on a registered target. */
        UpdateTargetRequest: {
            /** @description Replaces the labels (string values) used by label selectors. */
            labels?: Record<string, never> | null;
            /**
             * @description Share (or stop sharing) the target's engine with this organization (server
             *     administrators only; audited).
             */
            shared?: boolean | null;
        };
        UpdateUserRequest: {
            disabled?: boolean | null;
            /** @description Sets a new password (admins resetting someone else's). */
            password?: string | null;
        };
        /** @description Move a stack to the catalog's current version of its template: a new stack version. */
        UpgradeTemplateRequest: {
            /** @description New or changed input values (others are kept). */
            values?: {
                [key: string]: string;
            };
            /** @description Show the diff only. */
            dry_run?: boolean;
        };
        /** @description A certificate to store under a name: its chain (leaf first) and private key, PEM. */
        UploadCertificateRequest: {
            chain_pem: string;
            key_pem: string;
        };
        User: {
            id: string;
            username: string;
            display_name: string;
            /** @description A server administrator (manages users and organizations). */
            is_admin: boolean;
            disabled: boolean;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            last_login_at?: string | null;
        };
        /** @description Validation of compose content without saving it. */
        ValidateRequest: {
            content: string;
        };
        /** @description Check a document without saving it. */
        ValidateWorkflowRequest: {
            document: Record<string, never>;
        };
        Validation: {
            valid: boolean;
            errors: components["schemas"]["FieldError"][];
            warnings: components["schemas"]["FieldError"][];
            services: string[];
            /** @description The advisor's findings on a stack that loads (advice: none of it blocks a deployment). */
            advice?: components["schemas"]["Advice"][];
        };
        /** @description A variable or secret. A secret's value is never returned. */
        Variable: {
            name: string;
            secret: boolean;
            /** @description The value of a plain variable; always absent for a secret. */
            value?: string | null;
            /** @description The environment this value is for; absent when it applies to all. */
            environment?: string | null;
            updated_by: string;
            /** Format: date-time */
            updated_at: string;
        };
        /** @description A workflow with its current (or a given) version's document. */
        Workflow: {
            name: string;
            /** Format: int64 */
            version: number;
            enabled: boolean;
            /** @description The workflow file (see docs/workflows.md), as JSON. */
            document: Record<string, never>;
            /** @description Where a webhook trigger is called, once a webhook secret exists. */
            webhook_url?: string | null;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            updated_at: string;
            updated_by: string;
        };
        /** @description What an approval node waits for. */
        WorkflowApproval: {
            /** @description The role an approver needs. */
            role: string;
            message: string;
            /** Format: date-time */
            expires_at?: string | null;
        };
        /** @description One problem in a workflow document. */
        WorkflowIssue: {
            /** @description Where: `nodes.<id>.<setting>`, `edges[3].to`, `triggers[0].schedule`, `name`. */
            field: string;
            message: string;
        };
        /** @description One node's state in a run. */
        WorkflowNodeRun: {
            node: string;
            /** @description `pending`, `running`, `waiting`, `succeeded`, `failed`, `skipped` or `cancelled`. */
            status: string;
            /** @description The port a condition or switch chose. */
            port?: string | null;
            /** Format: int64 */
            attempt: number;
            input?: Record<string, never> | null;
            output?: Record<string, never> | null;
            logs: string;
            error?: string | null;
            /** Format: date-time */
            started_at?: string | null;
            /** Format: date-time */
            finished_at?: string | null;
            approval?: components["schemas"]["WorkflowApproval"] | null;
        };
        /** @description A run of a workflow. */
        WorkflowRun: {
            id: string;
            workflow: string;
            /** Format: int64 */
            version: number;
            /** @description `queued`, `running`, `waiting`, `succeeded`, `failed` or `cancelled`. */
            status: string;
            trigger: components["schemas"]["WorkflowTrigger"];
            inputs: Record<string, never>;
            requested_by?: string | null;
            /** Format: int64 */
            attempts: number;
            error?: string | null;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            started_at?: string | null;
            /** Format: date-time */
            finished_at?: string | null;
            /** @description Each node's state (empty in lists). */
            nodes?: components["schemas"]["WorkflowNodeRun"][];
        };
        /** @description A run in one line. */
        WorkflowRunBrief: {
            id: string;
            status: string;
            /** Format: date-time */
            created_at: string;
        };
        /** @description A workflow as the list shows it. */
        WorkflowSummary: {
            name: string;
            description?: string | null;
            /** Format: int64 */
            version: number;
            enabled: boolean;
            /** @description The kinds of its triggers (`manual`, `cron`, `webhook`, `event`). */
            triggers: string[];
            /** Format: date-time */
            updated_at: string;
            updated_by: string;
            last_run?: components["schemas"]["WorkflowRunBrief"] | null;
        };
        /** @description What started a run. */
        WorkflowTrigger: {
            /** @description `manual`, `cron`, `webhook`, `event` or `call`. */
            kind: string;
            /** @description The trigger's payload (secrets masked). */
            payload: Record<string, never>;
        };
        /** @description What validation found (nothing: the document is valid). */
        WorkflowValidation: {
            issues: components["schemas"]["WorkflowIssue"][];
        };
        /** @description One saved version. */
        WorkflowVersion: {
            /** Format: int64 */
            version: number;
            /** Format: date-time */
            created_at: string;
            author: string;
        };
        /** @description The webhook of a workflow: call `url` with a body signed with `secret` (shown once). */
        WorkflowWebhook: {
            url: string;
            secret: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    enroll: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EnrollRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EnrollResponse"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    server_audit: {
        parameters: {
            query?: {
                limit?: number;
                offset?: number;
                actor?: string;
                /** @description Prefix of the action (`stack.` for every stack action). */
                action?: string;
                /** @description RFC 3339. */
                since?: string;
                until?: string;
                /** @description `json` (default) or `csv` (an export). */
                format?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_AuditEntry"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_factors: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SecondFactor"][];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    regenerate_recovery_codes: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SecondFactorCode"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RecoveryCodes"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    start_totp: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["StartTotpRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TotpEnrolment"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    remove_totp: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RemoveTotpRequest"];
            };
        };
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    confirm_totp: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SecondFactorCode"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RecoveryCodes"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LoginRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionInfo"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    logout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LogoutInfo"];
                };
            };
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_passkeys: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PasskeyInfo"][];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    start_login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["StartPasskeyLoginRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PasskeyChallenge"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    finish_login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["FinishPasskeyLoginRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionInfo"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    start_registration: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["StartPasskeyRegistrationRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PasskeyChallenge"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    finish_registration: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["FinishPasskeyRegistrationRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PasskeyInfo"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    remove_passkey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The passkey's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    change_password: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChangePasswordRequest"];
            };
        };
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    session: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionInfo"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    exchange_sso_cli_code: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SsoCliExchangeRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedToken"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_login_sso_providers: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SsoProviderSummary"][];
                };
            };
        };
    };
    sso_callback: {
        parameters: {
            query?: {
                code?: string;
                state?: string;
                error?: string;
                error_description?: string;
            };
            header?: never;
            path: {
                /** @description The provider's slug */
                slug: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            303: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    sso_start: {
        parameters: {
            query?: {
                /** @description A console path to come back to after the login. */
                return_to?: string;
                /**
                 * @description A CLI's loopback redirect (`http://127.0.0.1:<port>/…`): the login ends there with a
                 *     one-time code to exchange for an API token.
                 */
                cli_redirect?: string;
            };
            header?: never;
            path: {
                /** @description The provider's slug */
                slug: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            302: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_tokens: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiToken"][];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_token: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateTokenRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedToken"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    revoke_token: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The token's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_sources: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CatalogSource"][];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_source: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateCatalogSourceRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CatalogSource"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_source: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Source name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    refresh_source: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Source name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CatalogSource"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    workflow_webhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The webhook's route token */
                token: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_orgs: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Membership"][];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_org: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateOrganizationRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Organization"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_org: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Organization"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_agents: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Agent"][];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_enrollment: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateEnrollmentRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Enrollment"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    revoke_agent: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Agent id */
                agent: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    generate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AiGenerateRequest"];
            };
        };
        responses: {
            /** @description the stack, or with Accept: text/event-stream its progress and result */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AiGenerated"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    show_provider: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AiProvider"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    set_provider: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SetAiProviderRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AiProvider"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_provider: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_requests: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AiRequestRecord"][];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    org_audit: {
        parameters: {
            query?: {
                limit?: number;
                offset?: number;
                actor?: string;
                /** @description Prefix of the action (`stack.` for every stack action). */
                action?: string;
                /** @description RFC 3339. */
                since?: string;
                until?: string;
                /** @description `json` (default) or `csv` (an export). */
                format?: string;
            };
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_AuditEntry"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_repositories: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BackupRepository"][];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_repository: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateBackupRepositoryRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BackupRepository"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    show_repository: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Repository name */
                repository: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BackupRepository"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_repository: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Repository name */
                repository: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    update_repository: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Repository name */
                repository: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateBackupRepositoryRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BackupRepository"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    check_repository: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Repository name */
                repository: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CheckRequest"];
            };
        };
        responses: {
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BackupRun"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_runs: {
        parameters: {
            query?: {
                /** @description Only this stack's runs. */
                stack?: string;
                /** @description Only runs of this kind: backup, restore, check, drill. */
                kind?: string;
            };
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BackupRun"][];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    show_run: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Run id */
                run: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BackupRun"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    cancel_run: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Run id */
                run: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BackupRun"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    follow_run: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Run id */
                run: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": components["schemas"]["BackupRun"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_snapshots: {
        parameters: {
            query?: {
                /** @description Only this stack's snapshots. */
                stack?: string;
            };
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BackupSnapshot"][];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    download_file: {
        parameters: {
            query?: {
                /** @description A path inside the item (empty: its top). */
                path?: string;
            };
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Snapshot id */
                snapshot: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/octet-stream": unknown;
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_files: {
        parameters: {
            query?: {
                /** @description A path inside the item (empty: its top). */
                path?: string;
            };
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Snapshot id */
                snapshot: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BackupEntry"][];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_certificates: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Certificate"][];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    upload_certificate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Certificate name */
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UploadCertificateRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Certificate"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_certificate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Certificate name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    renew_certificate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Certificate name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Certificate"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_deployments: {
        parameters: {
            query?: {
                limit?: number;
                offset?: number;
                stack?: string;
                target?: string;
                state?: components["schemas"]["DeploymentState"];
            };
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_Deployment"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_deployment: {
        parameters: {
            query?: never;
            header?: {
                /** @description Makes a retried request safe */
                "Idempotency-Key"?: string | null;
            };
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateDeploymentRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Deployment"];
                };
            };
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Deployment"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_deployment: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Deployment id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Deployment"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    cancel_deployment: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Deployment id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Deployment"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    diagnose: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Deployment id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AiDiagnosis"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_events: {
        parameters: {
            query?: {
                /** @description Only events after this sequence number. */
                after?: number;
            };
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Deployment id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeploymentEvent"][];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    stream_events: {
        parameters: {
            query?: {
                /** @description Only events after this sequence number. */
                after?: number;
            };
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Deployment id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description text/event-stream of DeploymentEvent */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": unknown;
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_dns_providers: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DnsProvider"][];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_dns_provider: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateDnsProviderRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DnsProvider"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_dns_provider: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Provider name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_dns_records: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DnsRecord"][];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    check_dns_records: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DnsRecord"][];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_dns_zones: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DnsZone"][];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    enable_dnssec: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description The zone (`example.com`) */
                zone: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DnsZone"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_environments: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Environment"][];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_environment: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateEnvironmentRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Environment"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_environment: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Environment name */
                env: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    narrow_environment: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Environment name */
                env: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["HostPolicy"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HostPolicies"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    widen_environment: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Environment name */
                env: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HostPolicies"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_environment_variables: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Environment name */
                env: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Variable"][];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    set_environment_variable: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Environment name */
                env: string;
                /** @description Variable name */
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SetVariableRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Variable"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_environment_variable: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Environment name */
                env: string;
                /** @description Variable name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_grants: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RoleGrant"][];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_grant: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateGrantRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RoleGrant"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_grant: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Grant id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_login_policy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LoginPolicy"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    set_login_policy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SetLoginPolicyRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LoginPolicy"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_members: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Member"][];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    set_member: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SetMemberRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Member"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    remove_member: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description The member's id */
                user: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_notification_channels: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NotificationChannel"][];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_notification_channel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateNotificationChannelRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NotificationChannel"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_notification_channel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Channel name */
                channel: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    test_notification_channel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Channel name */
                channel: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_policy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HostPolicies"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    set_policy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["HostPolicy"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HostPolicies"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_roles: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CustomRole"][];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_role: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateCustomRoleRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CustomRole"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_role: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Custom role name */
                role: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_service_accounts: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ServiceAccount"][];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_service_account: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateServiceAccountRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ServiceAccount"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_service_account: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Service account name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_service_account_tokens: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Service account name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiToken"][];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_service_account_token: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Service account name */
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateTokenRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedToken"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    revoke_service_account_token: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Service account name */
                name: string;
                /** @description Token id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_stacks: {
        parameters: {
            query?: {
                limit?: number;
                offset?: number;
                /** @description Only stacks whose name contains this. */
                q?: string;
            };
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_Stack"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_stack: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateStackRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StackDetail"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_stack: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Stack name */
                stack: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StackDetail"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    update_stack: {
        parameters: {
            query?: never;
            header?: {
                /** @description The version this edit is based on */
                "If-Match"?: string | null;
            };
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Stack name */
                stack: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateStackRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StackDetail"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            412: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_stack: {
        parameters: {
            query?: {
                /**
                 * @description Remove the stack from every target that runs it first (queues `remove` deployments,
                 *     answers 202 with them), then delete it once they succeed.
                 */
                undeploy?: boolean;
            };
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Stack name */
                stack: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Removals queued; the stack is deleted when they succeed */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Deployment"][];
                };
            };
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    show_backup_policy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Stack name */
                stack: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BackupPolicy"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    set_backup_policy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Stack name */
                stack: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SetBackupPolicyRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BackupPolicy"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_backup_policy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Stack name */
                stack: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    start_drill: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Stack name */
                stack: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BackupRun"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    restore: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description The stack whose backup is restored */
                stack: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RestoreRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RestorePlan"];
                };
            };
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RestorePlan"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    start_backup: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Stack name */
                stack: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["StartBackupRequest"];
            };
        };
        responses: {
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BackupRun"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    diff_versions: {
        parameters: {
            query: {
                from: number;
                to: number;
            };
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Stack name */
                stack: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StackDiff"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_stack_domains: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Stack name */
                stack: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ServiceDomains"][];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    set_stack_domains: {
        parameters: {
            query?: {
                /** @description Values for this environment only (default: the ones for every environment). */
                environment?: string;
            };
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Stack name */
                stack: string;
                /** @description Service name */
                service: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SetDomainsRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ServiceDomains"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_stack_domains: {
        parameters: {
            query?: {
                /** @description Values for this environment only (default: the ones for every environment). */
                environment?: string;
            };
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Stack name */
                stack: string;
                /** @description Service name */
                service: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    stack_logs: {
        parameters: {
            query: {
                /** @description The target the stack runs on. */
                target: string;
                /** @description Only this service. */
                service?: string;
                /** @description Keep streaming new lines. */
                follow?: boolean;
                /** @description Lines from the end of each container's log (default 100). */
                tail?: number;
                /** @description Unix seconds. */
                since?: number;
            };
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Stack name */
                stack: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description text/event-stream of LogLine */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": unknown;
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    optimize: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Stack name */
                stack: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AiProposal"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    plan_stack: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Stack name */
                stack: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PlanRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PlanPreview"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    rollback_stack: {
        parameters: {
            query?: never;
            header?: {
                /** @description Makes a retried request safe */
                "Idempotency-Key"?: string | null;
            };
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Stack name */
                stack: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RollbackRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Deployment"];
                };
            };
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Deployment"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    show_stack_template: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Stack name */
                stack: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StackTemplateInfo"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    upgrade_stack_template: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Stack name */
                stack: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpgradeTemplateRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TemplateUpgrade"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            412: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    validate_content: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Stack name (need not exist yet) */
                stack: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ValidateRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Validation"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_stack_variables: {
        parameters: {
            query?: {
                /** @description Values for this environment only (default: the ones for every environment). */
                environment?: string;
            };
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Stack name */
                stack: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Variable"][];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    set_stack_variable: {
        parameters: {
            query?: {
                /** @description Values for this environment only (default: the ones for every environment). */
                environment?: string;
            };
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Stack name */
                stack: string;
                /** @description Variable name */
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SetVariableRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Variable"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_stack_variable: {
        parameters: {
            query?: {
                /** @description Values for this environment only (default: the ones for every environment). */
                environment?: string;
            };
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Stack name */
                stack: string;
                /** @description Variable name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_versions: {
        parameters: {
            query?: {
                /** @description At most this many items (1–500, default 50). */
                limit?: number;
                /** @description Skip this many items. */
                offset?: number;
            };
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Stack name */
                stack: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_StackVersionSummary"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_version: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Stack name */
                stack: string;
                /** @description Version number */
                version: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StackVersion"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_targets: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Target"][];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_target: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateTargetRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Target"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_target: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Target name */
                target: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Target"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_target: {
        parameters: {
            query?: {
                /** @description Remove it even while deployments use it. */
                force?: boolean;
            };
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Target name */
                target: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    update_target: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Target name */
                target: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateTargetRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Target"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    target_checks: {
        parameters: {
            query?: {
                /** @description How many checks, newest first (default 100, at most 1000). */
                limit?: number;
            };
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Target name */
                target: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TargetCheck"][];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    inspect_container: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Target name */
                target: string;
                /** @description Container id or name */
                container: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    container_logs: {
        parameters: {
            query?: {
                /** @description Keep streaming new lines. */
                follow?: boolean;
                /** @description Lines from the end (default 200). */
                tail?: number;
            };
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Target name */
                target: string;
                /** @description Container id or name */
                container: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description text/event-stream of LogLine */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": unknown;
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    container_action: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Target name */
                target: string;
                /** @description Container id or name */
                container: string;
                /** @description `start`, `stop` or `restart` */
                action: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    target_gateway: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Target name */
                target: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayInfo"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    target_inventory: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Target name */
                target: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Inventory"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    kubernetes_stacks: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Target name */
                target: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KubeStack"][];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    kubernetes_pod_log: {
        parameters: {
            query?: {
                /** @description Lines from the end of the log (default 200, at most 5000). */
                tail?: number;
            };
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Target name */
                target: string;
                /** @description The stack's namespace */
                namespace: string;
                /** @description Pod name */
                pod: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    swarm_nodes: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Target name */
                target: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SwarmNode"][];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    narrow_target: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Target name */
                target: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["HostPolicy"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HostPolicies"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    widen_target: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Target name */
                target: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HostPolicies"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    target_stats: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Target name */
                target: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ContainerStats"][];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    test_target: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Target name */
                target: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TargetTest"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    trust_target: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Target name */
                target: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TrustTargetRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TargetTest"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_teams: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Team"][];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_team: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateTeamRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Team"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_team: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Team name */
                team: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    add_team_member: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Team name */
                team: string;
                /** @description User name */
                user: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Team"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    remove_team_member: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Team name */
                team: string;
                /** @description User name */
                user: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_templates: {
        parameters: {
            query?: {
                /** @description Search in names, ids, descriptions and tags. */
                q?: string;
                /** @description Only this category. */
                category?: string;
            };
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TemplateSummary"][];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    show_template: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description `builtin` or a catalog source's name */
                source: string;
                /** @description The template's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TemplateDetail"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deploy_template: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description `builtin` or a catalog source's name */
                source: string;
                /** @description The template's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DeployTemplateRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TemplateDeployment"];
                };
            };
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TemplateDeployment"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    show_workflow_run: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Run id */
                run: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowRun"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    decide_workflow_approval: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Run id */
                run: string;
                /** @description Approval node id */
                node: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ApprovalDecision"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowRun"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    cancel_workflow_run: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Run id */
                run: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowRun"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    follow_workflow_run: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Run id */
                run: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": components["schemas"]["WorkflowRun"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_workflows: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowSummary"][];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    validate_workflow: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ValidateWorkflowRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowValidation"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    show_workflow: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Workflow name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Workflow"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    put_workflow: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Workflow name */
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PutWorkflowRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Workflow"];
                };
            };
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Workflow"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_workflow: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Workflow name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_workflow_runs: {
        parameters: {
            query?: {
                /** @description At most this many runs (default 50, at most 500). */
                limit?: number;
            };
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Workflow name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowRun"][];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    start_workflow_run: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Workflow name */
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["StartWorkflowRunRequest"];
            };
        };
        responses: {
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowRun"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_workflow_versions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Workflow name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowVersion"][];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    show_workflow_version: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Workflow name */
                name: string;
                /** @description Version number */
                version: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Workflow"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    rotate_workflow_webhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Organization slug */
                org: string;
                /** @description Workflow name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowWebhook"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_sso_providers: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SsoProvider"][];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_sso_provider: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SsoProviderRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SsoProvider"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    show_sso_provider: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The provider's slug */
                slug: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SsoProvider"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    update_sso_provider: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The provider's slug */
                slug: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SsoProviderRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SsoProvider"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_sso_provider: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The provider's slug */
                slug: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_users: {
        parameters: {
            query?: {
                /** @description At most this many items (1–500, default 50). */
                limit?: number;
                /** @description Skip this many items. */
                offset?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_User"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_user: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateUserRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    update_user: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The user's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateUserRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    reset_user_factors: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The user's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
    live: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    ready: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Readiness"];
                };
            };
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Readiness"];
                };
            };
        };
    };
    metrics_text: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Prometheus text format */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": unknown;
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Problem"];
                };
            };
        };
    };
}
