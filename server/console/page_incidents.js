// SPDX-License-Identifier: Apache-2.0
// page_incidents.js: breach incidents (信息泄露应急, PIPL art. 57): the register with each
// incident's state and times; opening one (its clock starts); its scope found from the
// audit log (by user and time); sealing the customers touched (every read and export of
// them refused); its release asked for under four eyes and run once approved; its state.
import * as api from './api.js';
import { t, word } from './i18n.js';
import { errorBox, field, forget, h, kept, when } from './ui.js';

const state = { list: null, error: null, done: null, loadedFor: null };
const KEY = 'pv.releases'; /* incident id -> the release's request id (this tab only) */
const asked = () => JSON.parse(sessionStorage.getItem(KEY) || '{}');
function remember(id, request) {
	const m = asked();
	if (request)
		m[id] = request;
	else
		delete m[id];
	sessionStorage.setItem(KEY, JSON.stringify(m));
}

let loads = 0;
async function load(app) {
	const mine = ++loads; /* a reply to an earlier load is never drawn over a later one */
	let got = null, error = null;
	try {
		got = (await api.call('GET', '/v1/incidents')).incidents;
	} catch (e) {
		error = e;
	}
	if (mine !== loads)
		return;
	state.list = got;
	if (error)
		state.error = error;
	state.loadedFor = api.role();
	app.draw();
}

async function act(app, fn) {
	state.error = null;
	state.done = null;
	app.draw();
	try {
		state.done = await fn();
	} catch (e) {
		state.error = e;
	}
	await load(app);
}

const post = (i, verb, body) =>
	api.call('POST', `/v1/incidents/${encodeURIComponent(i.id)}/${verb}`, { body: body || {} });
// A datetime-local input's value as ISO 8601 in UTC, or undefined.
const iso = (v) => v ? new Date(v).toISOString().replace(/\.\d+Z$/, 'Z') : undefined;

async function release(i) {
	const request = asked()[i.id];
	const r = await post(i, 'release', request ? { request } : {});
	if (r.request && !request) {
		remember(i.id, r.request.id);
		return t('releaseAsked', { id: r.request.id });
	}
	remember(i.id, null);
	return t('released', { n: r.released });
}

function actions(app, i) {
	const user = h('input', { class: 'scope-user', autocomplete: 'off',
		'aria-label': t('scopeUser') });
	const since = h('input', { class: 'scope-since', type: 'datetime-local',
		'aria-label': t('since') });
	const until = h('input', { class: 'scope-until', type: 'datetime-local',
		'aria-label': t('until') });
	const to = h('select', { class: 'state-to', 'aria-label': t('newState') },
		['contained', 'notified', 'closed'].map((s) => h('option', { value: s },
			word('incState_', s))));
	return h('div', {},
		h('div', { class: 'row' }, field('scopeUser', user), field('since', since),
			field('until', until),
			h('div', { class: 'actions' }, h('button', { type: 'button', class: 'scope',
				onclick: () => act(app, async () => {
					const r = await post(i, 'scope', { user: user.value.trim() || undefined,
						since: iso(since.value), until: iso(until.value) });
					return t('scoped', { customers: r.customers, entries: r.entries });
				}) }, t('findScope')))),
		h('div', { class: 'actions' },
			h('button', { type: 'button', class: 'seal danger', onclick: () => act(app,
				async () => t('sealed', { n: (await post(i, 'seal')).sealed })) }, t('seal')),
			h('button', { type: 'button', class: 'release plain', onclick: () => act(app,
				() => release(i)) }, asked()[i.id] ? t('runRelease', { id: asked()[i.id] })
				: t('askRelease')),
			h('label', { class: 'field inline' }, h('span', {}, t('newState')), to),
			h('button', { type: 'button', class: 'set-state plain', onclick: () => act(app,
				async () => (await post(i, 'state', { to: to.value }), t('stateSet'))) },
			t('setState'))));
}

function card(app, i) {
	const seal = i.seal ? word('sealState_', i.seal.state || '') : '';
	return h('section', { class: 'card incident', 'data-incident': i.id, 'data-state': i.state },
		h('h2', {}, `${i.id} · ${word('incKind_', i.kind)} `,
			h('span', { class: 'badge ' + i.state }, word('incState_', i.state))),
		h('p', {}, t('incidentLine', { at: when(i.detected), by: i.opened_by,
			opened: when(i.opened) })),
		h('p', {}, i.description),
		i.scope ? h('p', {}, t('scopeLine', { n: i.scope.length })) : null,
		i.seal ? h('p', {}, t('sealLine'), ' ', seal) : null,
		i.state === 'closed' ? null : actions(app, i));
}

function openForm(app) {
	const kind = kept('incident-kind', h('select', { id: 'incident-kind' }, ['leak', 'tamper',
		'loss', 'unauthorised-access'].map((k) => h('option', { value: k }, word('incKind_', k)))));
	const at = kept('incident-at', h('input', { id: 'incident-at', type: 'datetime-local',
		required: true }));
	const text = kept('incident-text', h('input', { id: 'incident-text', required: true,
		autocomplete: 'off' }));
	const f = h('form', { class: 'card', id: 'incident-open' }, h('h2', {}, t('openIncident')),
		h('div', { class: 'row' }, field('kind', kind), field('detectedAt', at),
			field('description', text)),
		h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('openIncidentButton'))));
	f.addEventListener('submit', (ev) => {
		ev.preventDefault();
		const body = { kind: kind.value, detected_at: iso(at.value),
			description: text.value.trim() };
		forget('incident-at', 'incident-text');
		act(app, async () => t('incidentOpened', { id: (await api.call('POST', '/v1/incidents',
			{ body })).id }));
	});
	return f;
}

function render(main, app) {
	if (state.loadedFor !== api.role()) {
		state.loadedFor = api.role();
		load(app);
	}
	main.append(h('div', {},
		h('section', { class: 'card' }, h('h1', {}, t('incidentsTitle')),
			h('p', {}, t('incidentsHelp'))),
		h('div', { id: 'incident-status' }, state.error ? errorBox(state.error) : null,
			state.done ? h('p', { class: 'ok' }, state.done) : null),
		state.list === null ? h('p', {}, t('loading'))
			: state.list.length === 0 ? h('p', { class: 'card' }, t('noIncidents'))
				: state.list.map((i) => card(app, i)),
		openForm(app)));
}

function reset() {
	Object.assign(state, { list: null, error: null, done: null, loadedFor: null });
}

export default { id: 'incidents', nav: 'navIncidents', render, reset };
