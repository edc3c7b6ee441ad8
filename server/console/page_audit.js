// SPDX-License-Identifier: Apache-2.0
// page_audit.js: the audit log: its verification state (GET /v1/audit/verify: the hash
// chain recomputed and every signed checkpoint checked, by the library) and its entries
// (GET /v1/audit, filtered by customer or user, a page at a time). Entries hold no
// personal data: ids, operations, purposes, outcomes.
import * as api from './api.js';
import { t } from './i18n.js';
import { errorBox, field, h } from './ui.js';

const state = { verification: null, error: null, busy: false, customer: '', user: '',
	pages: [0], entries: null, next: null, logError: null };

async function verify(app) {
	state.busy = true;
	state.error = null;
	app.draw();
	try {
		state.verification = await api.call('GET', '/v1/audit/verify');
	} catch (e) {
		state.verification = null;
		state.error = e;
	}
	state.busy = false;
	app.draw();
}

async function loadLog(app) {
	state.logError = null;
	try {
		const r = await api.call('GET', '/v1/audit', { query: { customer: state.customer,
			user: state.user, after: state.pages[state.pages.length - 1], limit: 50 } });
		state.entries = r.entries;
		state.next = r.next;
	} catch (e) {
		state.entries = null;
		state.logError = e;
	}
	app.draw();
}

function verificationView() {
	const v = state.verification;
	if (!v)
		return null;
	return h('div', { class: v.verified ? 'ok' : 'alert', id: 'audit-state',
		'data-verified': String(v.verified) },
		h('p', {}, t(v.verified ? 'verified' : 'broken')),
		v.report ? h('pre', {}, v.report) : null);
}

function filterForm(app) {
	const customer = h('input', { id: 'audit-customer', value: state.customer,
		autocomplete: 'off' });
	const user = h('input', { id: 'audit-user', value: state.user, autocomplete: 'off' });
	const f = h('form', { id: 'audit-filter' },
		h('div', { class: 'row' }, field('customerId', customer), field('user', user)),
		h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('showEntries'))));
	f.addEventListener('submit', (ev) => {
		ev.preventDefault();
		state.customer = customer.value.trim();
		state.user = user.value.trim();
		state.pages = [0];
		loadLog(app);
	});
	return f;
}

function entriesView(app) {
	if (state.logError)
		return errorBox(state.logError);
	if (!state.entries)
		return null;
	const cols = ['seq', 'at', 'user', 'op', 'ids', 'purpose', 'outcome', 'detail'];
	const page = (delta) => () => {
		if (delta > 0)
			state.pages.push(state.next);
		else
			state.pages.pop();
		loadLog(app);
	};
	return h('div', {},
		h('table', { id: 'audit-entries' },
			h('thead', {}, h('tr', {}, cols.map((c) => h('th', {}, t('col_' + c))))),
			h('tbody', {}, state.entries.map((e) => h('tr', { 'data-seq': String(e.seq) },
				cols.map((c) => h('td', { class: c === 'ids' ? 'value' : null },
					String(e[c] ?? ''))))))),
		h('div', { class: 'actions' },
			state.pages.length > 1 ? h('button', { type: 'button', class: 'plain',
				onclick: page(-1) }, t('previous')) : null,
			state.next !== null ? h('button', { type: 'button', class: 'plain',
				id: 'audit-next', onclick: page(1) }, t('next')) : null));
}

function render(main, app) {
	main.append(h('div', {},
		h('section', { class: 'card' },
			h('h1', {}, t('auditTitle')),
			h('h2', {}, t('verifyTitle')),
			h('div', { class: 'actions' }, h('button', { type: 'button', id: 'audit-verify',
				disabled: state.busy, onclick: () => verify(app) },
				state.busy ? t('verifying') : t('verify'))),
			state.error ? errorBox(state.error) : null,
			verificationView()),
		h('section', { class: 'card' }, h('h2', {}, t('entriesTitle')), filterForm(app),
			entriesView(app))));
}

export default { id: 'audit', nav: 'navAudit', render };
