import { useState } from 'preact/hooks';
import { api } from '../api/endpoints.js';
import { useAction } from '../api/hooks.js';
import type { Me } from '../api/types.js';
import { IconCheck, Logo } from '../components/icons.js';
import { FormError } from '../components/states.js';

const POINTS = [
  'Visitors, revenue and conversion — in your store’s time zone and currency',
  'Checkout funnels that show where buyers leave',
  'Your data on your servers, with GDPR erasure and exports built in',
];

export function SignInPage({ notice, onSignedIn }: { notice?: string; onSignedIn: (me: Me) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const login = useAction(api.login);

  const submit = async (event: Event) => {
    event.preventDefault();
    const me = await login.run(email.trim(), password);
    if (me) {
      document.title = 'Footfall';
      onSignedIn(me);
    }
  };

  return (
    <div class="signin">
      <section class="signin-aside" aria-hidden="true">
        <div class="signin-brand">
          <Logo size={36} />
          <span class="brand-name">Footfall</span>
        </div>
        <div class="signin-pitch">
          <h2>Know what your store’s visitors do — and what they buy.</h2>
          <ul>
            {POINTS.map((point) => (
              <li key={point}>
                <IconCheck /> {point}
              </li>
            ))}
          </ul>
        </div>
        <p class="signin-foot">Self-hosted · Segment-compatible · Open source</p>
      </section>
      <main class="signin-main">
        <form class="signin-form" onSubmit={submit} aria-describedby={notice ? 'signin-notice' : undefined}>
          <div class="signin-form-brand">
            <Logo size={32} />
          </div>
          <h1 class="signin-title">Sign in to Footfall</h1>
          <p class="signin-subtitle">Welcome back. Use the email your administrator invited.</p>
          {notice && (
            <p class="notice" id="signin-notice" role="status">
              {notice}
            </p>
          )}
          <FormError error={login.error} />
          <div class="field">
            <label class="field-label" for="signin-email">
              Email
            </label>
            <input
              id="signin-email"
              class="input"
              type="email"
              autocomplete="username"
              required
              maxLength={254}
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          </div>
          <div class="field">
            <label class="field-label" for="signin-password">
              Password
            </label>
            <input
              id="signin-password"
              class="input"
              type="password"
              autocomplete="current-password"
              required
              maxLength={256}
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </div>
          <button type="submit" class="btn btn-primary btn-block" disabled={login.pending}>
            {login.pending ? 'Signing in…' : 'Sign in'}
          </button>
          <p class="signin-help">
            Forgot your password? Ask an owner or admin of your organization to give you access again.
          </p>
        </form>
      </main>
    </div>
  );
}
