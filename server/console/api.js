// SPDX-License-Identifier: Apache-2.0
// api.js: calls to the API of this origin. The session's bearer token lives in this
// module's memory and in sessionStorage (this tab only, gone when it closes), never in a
// cookie or localStorage; so no other site's page can make the browser send it.
const KEY = 'pv.session';
let session = JSON.parse(sessionStorage.getItem(KEY) || 'null');

export class ApiError extends Error {
	constructor(status, code, message) {
		super(message);
		this.status = status;
		this.code = code;
	}
}

export function signedIn() {
	return session !== null && session.expires > Date.now();
}

export function role() {
	return session ? session.role : null;
}

export function setRole(r) {
	session.role = r;
	sessionStorage.setItem(KEY, JSON.stringify(session));
}

function forget() {
	session = null;
	sessionStorage.removeItem(KEY);
}

// fn is called when the server refuses the session (expired or signed out elsewhere).
let onEnded = () => {};
export function whenEnded(fn) {
	onEnded = fn;
}

// A query string from an object (empty values left out).
function queryOf(query) {
	const p = new URLSearchParams();
	for (const [k, v] of Object.entries(query || {}))
		if (v !== undefined && v !== null && v !== '')
			p.append(k, String(v));
	const s = p.toString();
	return s ? '?' + s : '';
}

// Call the API: the JSON reply, or an ApiError. opts: {query, body (JSON), or raw and its
// type (a file), text: true for a reply that is
// not JSON, blob: true for a file, role: false to leave the
// session's role out}.
export async function call(method, path, opts = {}) {
	const headers = { Accept: 'application/json' };
	if (session)
		headers.Authorization = 'Bearer ' + session.token;
	let body;
	if (opts.body !== undefined) {
		headers['Content-Type'] = 'application/json';
		body = JSON.stringify(opts.body);
	} else if (opts.raw !== undefined) { /* a file as the body */
		headers['Content-Type'] = opts.type;
		body = opts.raw;
	}
	const query = Object.assign({}, opts.query);
	if (session && session.role && opts.role !== false && query.role === undefined)
		query.role = session.role;
	const r = await fetch(path + queryOf(query), { method, headers, body,
		credentials: 'omit', cache: 'no-store', redirect: 'error' });
	if (r.ok && opts.blob)
		return r.blob(); /* a file (the handover package) */
	const text = await r.text();
	if (r.ok && opts.text)
		return text; /* a page the API made (text/html) */
	const json = text ? JSON.parse(text) : null;
	if (r.ok)
		return json;
	const e = (json && json.error) || { code: 'http_' + r.status, message: r.statusText };
	if (r.status === 401 && session) {
		forget();
		onEnded();
	}
	throw new ApiError(r.status, e.code, e.message);
}

export async function signIn(user, password) {
	forget();
	const r = await call('POST', '/v1/sessions', { body: { user, password } });
	session = { token: r.token, expires: Date.now() + r.expires_in * 1000, role: null };
	const me = await call('GET', '/v1/sessions/current', { role: false });
	session.user = me.user;
	session.roles = me.roles;
	session.role = me.roles[0] || null;
	sessionStorage.setItem(KEY, JSON.stringify(session));
	return session;
}

export async function signOut() {
	try {
		if (session)
			await call('DELETE', '/v1/sessions/current', { role: false });
	} finally {
		forget();
	}
}

export function current() {
	return session;
}
