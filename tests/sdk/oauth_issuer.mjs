// A small OAuth 2.1 authorization server for the tests, on loopback, signing with the `jose`
// library: RFC 8414 metadata, a JWK Set, and a token endpoint for the client_credentials grant
// (HTTP Basic client authentication, RFC 8707 `resource` -> `aud`). Tests rotate its key, take it
// down and bring it back, and sign tokens with claims of their choosing.
//
//   const issuer = await startIssuer({ clients: { 'ci-client': { secret: 's', subject: 'ci-bot' } } });
//   issuer.url                   // "http://127.0.0.1:PORT" (also the issuer identifier)
//   await issuer.rotate('EdDSA') // a new key published and used from now on (the old one kept)
//   await issuer.sign(claims)    // a JWT with the current key
//   issuer.stats                 // { jwks: N, tokens: M }
//   await issuer.down(); await issuer.up();  // stop listening, listen again on the same port
//   await issuer.close();

import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

async function makeKey(alg, kid) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { crv: alg === 'EdDSA' ? 'Ed25519' : undefined });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, jwk };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { body += chunk; if (body.length > 65536) req.destroy(); });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

export async function startIssuer({ clients = {}, alg = 'ES256', tokenLifetimeS = 3600 } = {}) {
  const keys = [await makeKey(alg, 'key-1')];
  const stats = { jwks: 0, tokens: 0 };
  let url = '';
  let port = 0;
  const current = () => keys[keys.length - 1];

  async function sign(claims, { key = current(), header = {} } = {}) {
    return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header })
      .sign(key.privateKey);
  }

  const json = (res, status, body) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  };

  const handler = async (req, res) => {
    try {
      const path = new URL(req.url, url).pathname;
      if (req.method === 'GET' && (path === '/.well-known/oauth-authorization-server' ||
                                   path === '/.well-known/openid-configuration')) {
        return json(res, 200, {
          issuer: url,
          token_endpoint: `${url}/token`,
          authorization_endpoint: `${url}/authorize`,
          jwks_uri: `${url}/jwks`,
          grant_types_supported: ['client_credentials'],
          token_endpoint_auth_methods_supported: ['client_secret_basic'],
          response_types_supported: ['code'],
          code_challenge_methods_supported: ['S256'],
          scopes_supported: ['mcpgate:read', 'mcpgate:write'],
        });
      }
      if (req.method === 'GET' && path === '/jwks') {
        stats.jwks += 1;
        return json(res, 200, { keys: keys.map((k) => k.jwk) });
      }
      if (req.method === 'POST' && path === '/token') {
        const form = new URLSearchParams(await readBody(req));
        const basic = (req.headers.authorization ?? '').match(/^Basic (.+)$/i);
        const [id, secret] = basic
          ? Buffer.from(basic[1], 'base64').toString().split(':').map(decodeURIComponent)
          : [form.get('client_id'), form.get('client_secret')];
        const client = clients[id];
        if (!client || client.secret !== secret) return json(res, 401, { error: 'invalid_client' });
        if (form.get('grant_type') !== 'client_credentials') return json(res, 400, { error: 'unsupported_grant_type' });
        const resource = form.get('resource');
        if (!resource) return json(res, 400, { error: 'invalid_target', error_description: 'resource is required' });
        const asked = (form.get('scope') ?? '').split(' ').filter(Boolean);
        const scope = asked.filter((s) => (client.scopes ?? ['mcpgate:read', 'mcpgate:write']).includes(s)).join(' ');
        const now = Math.floor(Date.now() / 1000);
        stats.tokens += 1;
        const token = await sign({ iss: url, sub: client.subject ?? id, aud: resource, client_id: id, scope,
                                   iat: now, exp: now + tokenLifetimeS });
        return json(res, 200, { access_token: token, token_type: 'Bearer', expires_in: tokenLifetimeS, scope });
      }
      json(res, 404, { error: 'not_found' });
    } catch (error) {
      json(res, 500, { error: 'server_error', error_description: String(error) });
    }
  };

  let server;
  const listen = () => new Promise((resolve, reject) => {
    server = createServer(handler);
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      port = server.address().port;
      url = `http://127.0.0.1:${port}`;
      resolve();
    });
  });
  const stop = () => new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
  await listen();

  return {
    get url() { return url; },
    stats,
    sign,
    async rotate(newAlg = alg, kid = `key-${keys.length + 1}`) {
      keys.push(await makeKey(newAlg, kid));
      return kid;
    },
    down: stop,
    up: listen,
    close: stop,
  };
}
