// The small page the browser shows after the redirect back to atoauth.

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

export function callbackPage(outcome: { ok: boolean; title: string; detail: string }): string {
  const color = outcome.ok ? '#0a7d32' : '#b00020'
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>atoauth: ${escapeHtml(outcome.title)}</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem; }
h1 { color: ${color}; font-size: 1.4rem; }
</style>
</head>
<body>
<h1 id="outcome" data-ok="${outcome.ok}">${escapeHtml(outcome.title)}</h1>
<p id="detail">${escapeHtml(outcome.detail)}</p>
<p>You can close this window and return to the terminal.</p>
</body>
</html>
`
}
