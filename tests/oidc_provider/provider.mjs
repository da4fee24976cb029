// A real OpenID Connect provider on loopback for Tender's single sign-on tests.
//
// oidc-provider (a certified OpenID Provider) with its own development login
// pages: any login name is accepted (the password is ignored) and names the
// account, whose claims come from OIDC_ACCOUNTS. Run by tests/web/sso_support.py:
//
//   OIDC_PORT=5601 OIDC_CLIENT_ID=tender OIDC_CLIENT_SECRET=... \
//   OIDC_REDIRECT_URI=http://127.0.0.1:5000/login/sso/callback \
//   OIDC_ACCOUNTS='{"alice": {"email": "alice@example.gov.uk", "email_verified": true}}' \
//   node provider.mjs
//
// It prints "listening on ISSUER" once it answers. The code flow needs PKCE
// (S256), so a client that forgets it is refused.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT || 5601);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.OIDC_CLIENT_ID,
    client_secret: process.env.OIDC_CLIENT_SECRET,
    redirect_uris: [process.env.OIDC_REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: { openid: ['sub'], email: ['email', 'email_verified', 'xms_edov'] },  // xms_edov: as Entra ID sends
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

provider.listen(port, '127.0.0.1', () => console.log(`listening on ${issuer}`));
