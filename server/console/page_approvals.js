// SPDX-License-Identifier: Apache-2.0
// page_approvals.js: the four-eyes queue (GET /v1/requests): each request with the exact
// arguments it binds, who asked and why, when it expires; approve or reject it (POST
// /v1/requests/{id}/approve|reject). The library refuses the requester's own approval;
// the page says so rather than offering it. An approval of "user add" or "user reset"
// answers the approver's half of the enrolment code, shown once.
import * as api from './api.js';
import { t, word } from './i18n.js';
import { errorBox, h, kept, when } from './ui.js';

const state = { which: 'pending', requests: null, error: null, half: null, loadedFor: null };

let loads = 0;
async function load(app) {
	const mine = ++loads; /* a reply to an earlier load is never drawn over a later one */
	let got = null, error = null;
	try {
		got = (await api.call('GET', '/v1/requests',
			{ query: { state: state.which } })).requests;
	} catch (e) {
		error = e;
	}
	if (mine !== loads)
		return;
	state.requests = got;
	if (error)
		state.error = error;
	state.loadedFor = api.role();
	app.draw();
}

async function decide(app, id, verb, reason) {
	state.error = null;
	state.half = null;
	app.draw(); /* what an earlier decision said is gone at once */
	try {
		const r = await api.call('POST', `/v1/requests/${encodeURIComponent(id)}/${verb}`,
			{ body: reason ? { reason } : {} });
		if (r.enrol_half)
			state.half = { user: (r.request.args || {}).name || '', half: r.enrol_half };
	} catch (e) {
		state.error = e;
	}
	await load(app);
	const focus = document.getElementById('approvals-status');
	if (focus)
		focus.focus();
}

// The bound arguments exactly as the library keeps them: each key and its JSON value.
function argsTable(args) {
	const entries = Object.entries(args || {});
	if (!entries.length)
		return h('p', {}, t('none'));
	return h('table', { class: 'args' }, h('tbody', {}, entries.map(([k, v]) =>
		h('tr', {}, h('th', { scope: 'row' }, k),
			h('td', { class: 'value' }, typeof v === 'string' ? v : JSON.stringify(v))))));
}

function actions(app, r) {
	if (r.state !== 'pending')
		return null;
	if (r.requested_by === api.current().user)
		return h('p', { class: 'muted' }, t('ownRequest'));
	const reason = kept('reason-' + r.id, h('input', { id: 'reason-' + r.id,
		autocomplete: 'off', 'aria-label': t('decisionReason') + ' ' + r.id }));
	return h('div', { class: 'actions' },
		h('label', { class: 'field inline' }, h('span', {}, t('decisionReason')), reason),
		h('button', { type: 'button', class: 'approve',
			onclick: () => decide(app, r.id, 'approve', reason.value.trim()) },
		t('approve')),
		h('button', { type: 'button', class: 'reject danger',
			onclick: () => decide(app, r.id, 'reject', reason.value.trim()) }, t('reject')));
}

function requestCard(app, r) {
	const decided = r.rejection ? t('rejectedBy', { user: r.rejection.by, at: when(r.rejection.at) })
		: (r.approvals || []).map((a) => t('approvedBy', { user: a.by, at: when(a.at) })).join('; ');
	return h('section', { class: 'card request', 'data-request': r.id, 'data-state': r.state },
		h('h2', {}, r.op + ' ', h('span', { class: 'badge ' + r.state }, word('state_', r.state))),
		h('p', {}, t('requestLine', { id: r.id, user: r.requested_by, at: when(r.created),
			expires: when(r.expires) })),
		r.reason ? h('p', {}, t('reasonGiven') + ': ' + r.reason) : null,
		h('h3', {}, t('boundArgs')), argsTable(r.args),
		decided ? h('p', {}, decided) : null,
		actions(app, r));
}

function render(main, app) {
	if (state.loadedFor !== api.role() && !state.error) {
		state.loadedFor = api.role();
		load(app);
	}
	const which = h('select', { id: 'approvals-which' },
		h('option', { value: 'pending', selected: state.which === 'pending' }, t('pendingOnly')),
		h('option', { value: 'all', selected: state.which === 'all' }, t('allRequests')));
	which.addEventListener('change', () => {
		state.which = which.value;
		load(app);
	});
	const list = state.requests;
	main.append(h('div', {},
		h('section', { class: 'card' }, h('h1', {}, t('approvalsTitle')),
			h('p', {}, t('approvalsHelp')),
			h('div', { class: 'row' }, h('label', { class: 'field' },
				h('span', {}, t('show')), which),
			h('div', { class: 'actions' }, h('button', { type: 'button', class: 'plain',
				id: 'approvals-reload', onclick: () => load(app) }, t('reload'))))),
		h('div', { id: 'approvals-status', tabindex: '-1' },
			state.error ? errorBox(state.error) : null,
			state.half ? h('p', { class: 'notice', id: 'enrol-half' },
				t('enrolHalf', { user: state.half.user }), ' ',
				h('code', {}, state.half.half)) : null),
		list === null ? h('p', {}, t('loading'))
			: list.length === 0 ? h('p', { class: 'card', id: 'approvals-empty' },
				t('noRequests'))
				: list.map((r) => requestCard(app, r))));
}

// Forget what was loaded (another user, another role).
function reset() {
	Object.assign(state, { requests: null, error: null, half: null, loadedFor: null });
}

export default { id: 'approvals', nav: 'navApprovals', render, reset };
