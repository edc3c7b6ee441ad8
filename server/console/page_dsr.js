// SPDX-License-Identifier: Apache-2.0
// page_dsr.js: the data-subject requests' queue (GET /v1/dsr) in due order, with their
// deadlines and overdue marks, and their answers: restrict and object fulfilled, an
// access request's report, an erasure (crypto-shred) asked for under four eyes and run
// once another person approved it, closing with an outcome; and opening a new one.
import * as api from './api.js';
import { t, word } from './i18n.js';
import { errorBox, field, forget, h, kept, save, when } from './ui.js';

const state = { which: 'open', list: null, error: null, done: null, loadedFor: null };
// The erasures this tab asked for: DSR id -> the four-eyes request's id (this tab only).
const KEY = 'pv.erasures';
const asked = () => JSON.parse(sessionStorage.getItem(KEY) || '{}');
function remember(dsr, request) {
	const m = asked();
	if (request)
		m[dsr] = request;
	else
		delete m[dsr];
	sessionStorage.setItem(KEY, JSON.stringify(m));
}

let loads = 0;
async function load(app) {
	const mine = ++loads; /* a reply to an earlier load is never drawn over a later one */
	let got = null, error = null;
	try {
		got = (await api.call('GET', '/v1/dsr', { query: { state: state.which } })).dsr;
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

// Run one answer; what it did is said (done), or its error shown.
async function act(app, fn) {
	state.error = null;
	state.done = null;
	app.draw(); /* what an earlier answer said is gone at once */
	try {
		state.done = await fn();
	} catch (e) {
		state.error = e;
	}
	await load(app);
	const s = document.getElementById('dsr-status');
	if (s)
		s.focus();
}

const post = (d, verb, body) =>
	api.call('POST', `/v1/dsr/${encodeURIComponent(d.id)}/${verb}`, { body: body || {} });

async function erase(d) {
	const request = asked()[d.id];
	const r = await post(d, 'delete', request ? { request } : {});
	if (r && r.request && !request) {
		remember(d.id, r.request.id);
		return t('erasureAsked', { id: r.request.id });
	}
	remember(d.id, null);
	return t('erased', { id: d.customer });
}

async function report(d) {
	const r = await api.call('GET', `/v1/dsr/${encodeURIComponent(d.id)}/report`);
	save(JSON.stringify(r, null, 2), 'application/json', `access-${d.id}.json`);
	return t('reportSaved', { id: d.id });
}

function answers(app, d) {
	if (d.closed)
		return null;
	const buttons = [];
	if (d.kind === 'restrict' || d.kind === 'object')
		buttons.push(h('button', { type: 'button', class: 'fulfil',
			onclick: () => act(app, async () => (await post(d, 'fulfil'), t('fulfilled'))) },
		t('fulfil_' + d.kind)));
	if (d.kind === 'access')
		buttons.push(h('button', { type: 'button', class: 'report',
			onclick: () => act(app, () => report(d)) }, t('accessReport')));
	if (d.kind === 'delete')
		buttons.push(h('button', { type: 'button', class: 'erase danger',
			onclick: () => act(app, () => erase(d)) },
		asked()[d.id] ? t('runErasure', { id: asked()[d.id] }) : t('askErasure')));
	const outcome = kept('outcome-' + d.id, h('input', { class: 'outcome', autocomplete: 'off',
		'aria-label': t('outcome') + ' ' + d.id }));
	const close = h('button', { type: 'button', class: 'close plain', onclick: () => {
		if (outcome.value.trim())
			act(app, async () => (await post(d, 'close', { outcome: outcome.value.trim() }),
				t('closed')));
		else
			outcome.focus();
	} }, t('closeWith'));
	return h('div', { class: 'actions' }, buttons,
		h('label', { class: 'field inline' }, h('span', {}, t('outcome')), outcome), close);
}

function row(app, d) {
	return h('tr', { 'data-dsr': d.id, 'data-state': d.state },
		h('td', {}, d.id), h('td', {}, d.customer), h('td', {}, word('kind_', d.kind)),
		h('td', {}, d.law.toUpperCase()), h('td', {}, when(d.opened)),
		h('td', {}, d.due, ' ', d.overdue ? h('span', { class: 'badge overdue' }, t('overdue'))
			: null),
		h('td', {}, word('dsrState_', d.state), d.outcome ? ' · ' + d.outcome : ''),
		h('td', {}, answers(app, d)));
}

function openForm(app) {
	const customer = kept('dsr-customer', h('input', { id: 'dsr-customer', required: true,
		autocomplete: 'off' }));
	const kind = kept('dsr-kind', h('select', { id: 'dsr-kind' }, ['access', 'correct',
		'delete', 'restrict', 'object'].map((k) => h('option', { value: k }, t('kind_' + k)))));
	const law = kept('dsr-law', h('select', { id: 'dsr-law' }, ['pipl', 'gdpr', 'ccpa'].map((l) =>
		h('option', { value: l }, l.toUpperCase()))));
	const f = h('form', { class: 'card', id: 'dsr-open' }, h('h2', {}, t('openDsr')),
		h('div', { class: 'row' }, field('customerId', customer), field('kind', kind),
			field('law', law)),
		h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('openDsrButton'))));
	f.addEventListener('submit', (ev) => {
		ev.preventDefault();
		const body = { customer: customer.value.trim(), kind: kind.value, law: law.value };
		forget('dsr-customer');
		act(app, async () => {
			const r = await api.call('POST', '/v1/dsr', { body });
			return t('dsrOpened', { id: r.id });
		});
	});
	return f;
}

function render(main, app) {
	if (state.loadedFor !== api.role()) {
		state.loadedFor = api.role();
		load(app);
	}
	const which = h('select', { id: 'dsr-which' },
		h('option', { value: 'open', selected: state.which === 'open' }, t('openOnly')),
		h('option', { value: 'all', selected: state.which === 'all' }, t('allDsr')));
	which.addEventListener('change', () => {
		state.which = which.value;
		load(app);
	});
	const list = state.list;
	main.append(h('div', {},
		h('section', { class: 'card' }, h('h1', {}, t('dsrTitle')), h('p', {}, t('dsrHelp')),
			h('label', { class: 'field' }, h('span', {}, t('show')), which)),
		h('div', { id: 'dsr-status', tabindex: '-1' },
			state.error ? errorBox(state.error) : null,
			state.done ? h('p', { class: 'ok' }, state.done) : null),
		list === null ? h('p', {}, t('loading'))
			: list.length === 0 ? h('p', { class: 'card' }, t('noDsr'))
				: h('section', { class: 'card' }, h('table', { id: 'dsr-table' },
					h('thead', {}, h('tr', {}, ['dsrId', 'customerId', 'kind', 'law', 'opened',
						'deadline', 'stateCol', 'answer'].map((k) => h('th', {}, t(k))))),
					h('tbody', {}, list.map((d) => row(app, d))))),
		openForm(app)));
}

function reset() {
	Object.assign(state, { list: null, error: null, done: null, loadedFor: null });
}

export default { id: 'dsr', nav: 'navDsr', render, reset };
