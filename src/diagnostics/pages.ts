// The diagnostics pages as HTML strings, everything escaped, no script and no style inline (the
// Content-Security-Policy forbids both), nothing fetched from elsewhere: the script and style are the
// package's own (assets.ts).
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

/**
 * The page a signed-in technician or viewer works in: a frame of sections the script fills from the
 * live feed. The role decides which buttons the script shows; the server checks it again on each action.
 */
export function appPage(session: Session): string {
  const tabs = ['overview', 'gates', 'scanners', 'shelves', 'cameras', 'events'];
  return page(
    'Hub',
    `<header>
<h1>store-gateway</h1>
<p class="who">${html(session.account)} <span class="role">${session.role}</span></p>
<form method="post" action="/logout">
<input type="hidden" name="csrf" value="${html(session.csrf)}">
<button type="submit">Sign out</button>
</form>
</header>
<nav>${tabs.map((t) => `<a href="#${t}" data-tab="${t}">${t[0]?.toUpperCase()}${t.slice(1)}</a>`).join('')}</nav>
<p id="connection" role="status">Connecting…</p>
<p id="notice" role="alert" hidden></p>
<main>
${tabs.map((t) => `<section id="${t}" hidden></section>`).join('\n')}
</main>
<noscript><p>This page needs JavaScript. <a href="/api/status">The hub's status</a> works without it.</p></noscript>`,
    `<meta name="csrf-token" content="${html(session.csrf)}">
<meta name="role" content="${session.role}">
<link rel="stylesheet" href="/static/uplot.css">
<link rel="stylesheet" href="/static/app.css">
<script src="/static/uplot.js" defer></script>
<script src="/static/app.js" type="module"></script>
`,
  );
}
