// A real OpenID Connect provider for the browser tests: panva's certified
// `oidc-provider` (npm), configured for one confidential client (the app) and its
// development login form, where any login is accepted and becomes the user's email.
//
// OIDC_PORT, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET and OIDC_REDIRECT_URI come from the
// test set-up (tests/browser/oidc.py), which installs, starts and stops it.
import Provider from 'oidc-provider';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const port = Number(env('OIDC_PORT'));

const provider = new Provider(`http://localhost:${port}`, {
  clients: [{
    client_id: env('OIDC_CLIENT_ID'),
    client_secret: env('OIDC_CLIENT_SECRET'),
    redirect_uris: [env('OIDC_REDIRECT_URI')],
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // Streamlit reads the user from the ID token, so the scope's claims go in it.
  conformIdTokenClaims: false,
  cookies: { keys: ['cruxlab-tests-only'] },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, login) {
    return {
      accountId: login,
      async claims() {
        return { sub: login, email: login, email_verified: true, name: login.split('@')[0] };
      },
    };
  },
});

const server = provider.listen(port, 'localhost', () => {
  console.log(`oidc-provider listening on http://localhost:${port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
