// A real OpenID Provider for the single sign-on tests: panva's certified `oidc-provider`
// (installed by scripts/ensure-oidc-provider.sh; its node_modules named by
// WINDFLOW_OIDC_PROVIDER_MODULES), on a loopback port, with its development login and
// consent pages (any password is accepted for an account the configuration lists).
//
//   node provider.mjs <config.json>
//
// config.json (re-read at every claims lookup, so a test changes groups between logins):
//   { "clients": [{ "client_id", "client_secret", "redirect_uris": [...],
//                   "post_logout_redirect_uris": [...] }],
//     "accounts": { "<login>": { "email", "email_verified", "name", "preferred_username",
//                                "groups": [...] } } }
// Prints `ISSUER http://127.0.0.1:<port>` once listening. Admin endpoints (loopback only,
// for the test):
//   POST /_test/rotate   a new signing key replaces the old one (the old one is gone from the
//                        JWKS, as after a provider's key rotation)
//   POST /_test/tamper   {"aud": "...", "exp_offset_s": -3600, "iss": "..."}: the next ID
//                        token the token endpoint returns is re-signed with the provider's
//                        own key after these claims are changed
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const modules = process.env.WINDFLOW_OIDC_PROVIDER_MODULES;
if (!modules) {
  console.error('WINDFLOW_OIDC_PROVIDER_MODULES is not set (run scripts/ensure-oidc-provider.sh)');
  process.exit(2);
}
const require = createRequire(path.join(modules, 'noop.js'));
const { default: Provider } = await import(require.resolve('oidc-provider'));
const jose = await import(require.resolve('jose'));

const configPath = process.argv[2];
const readConfig = () => JSON.parse(readFileSync(configPath, 'utf8'));

async function newKey() {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  jwk.kid = `k${Date.now()}${Math.floor(Math.random() * 1000)}`;
  jwk.alg = 'RS256';
  jwk.use = 'sig';
  return jwk;
}

let key = await newKey();
let tamper = null;
let current = null;

function build(issuer) {
  const config = readConfig();
  const provider = new Provider(issuer, {
    clients: config.clients.map((c) => ({
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      ...c,
    })),
    jwks: { keys: [key] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
      groups: ['groups'],
    },
    scopes: ['openid', 'email', 'profile', 'groups'],
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    findAccount: async (_ctx, id) => {
      const account = readConfig().accounts[id];
      if (!account) return undefined;
      return {
        accountId: id,
        claims: async () => ({ sub: id, ...readConfig().accounts[id] }),
      };
    },
  });
  provider.on('server_error', (_ctx, err) => console.error('server_error', err));
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && tamper && ctx.body && ctx.body.id_token) {
      const change = tamper;
      tamper = null;
      const payload = jose.decodeJwt(ctx.body.id_token);
      if (change.aud !== undefined) payload.aud = change.aud;
      if (change.iss !== undefined) payload.iss = change.iss;
      if (change.exp_offset_s !== undefined) {
        const now = Math.floor(Date.now() / 1000);
        payload.exp = now + change.exp_offset_s;
        payload.iat = Math.min(payload.iat, payload.exp - 60);
      }
      const privateKey = await jose.importJWK(key, 'RS256');
      ctx.body = {
        ...ctx.body,
        id_token: await new jose.SignJWT(payload)
          .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
          .sign(privateKey),
      };
    }
  });
  return provider;
}

function readBody(req) {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(data));
  });
}

const server = http.createServer(async (req, res) => {
  if (req.method === 'POST' && req.url === '/_test/rotate') {
    key = await newKey();
    current = build(current.issuer);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kid: key.kid }));
    return;
  }
  if (req.method === 'POST' && req.url === '/_test/tamper') {
    tamper = JSON.parse((await readBody(req)) || '{}');
    res.writeHead(204);
    res.end();
    return;
  }
  current.callback()(req, res);
});

server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  current = build(issuer);
  console.log(`ISSUER ${issuer}`);
});
