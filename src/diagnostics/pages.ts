// The diagnostics pages as HTML strings, everything escaped, no script and no style inline (the
// Content-Security-Policy forbids both), nothing fetched from elsewhere.
import type { Session } from './sessions.js';

const html = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string, head = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html(title)} · store-gateway</title>
${head}</head>
<body>
${body}
</body>
</html>
`;
}

/** The login form, with what went wrong last time if anything. */
export function loginPage(problem?: string): string {
  return page(
    'Sign in',
    `<h1>store-gateway</h1>
${problem ? `<p role="alert">${html(problem)}</p>\n` : ''}<form method="post" action="/login">
<label>Name <input name="name" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>`,
  );
}

/** What a signed-in technician sees for now: who they are, and how to sign out. */
export function signedInPage(session: Session): string {
  return page(
    'Hub',
    `<h1>store-gateway</h1>
<p>Signed in as <strong>${html(session.account)}</strong> (${session.role}).</p>
<p><a href="/api/status">The hub's status</a> · <a href="/metrics">Metrics</a></p>
<form method="post" action="/logout">
<input type="hidden" name="csrf" value="${html(session.csrf)}">
<button type="submit">Sign out</button>
</form>`,
    `<meta name="csrf-token" content="${html(session.csrf)}">\n`,
  );
}
