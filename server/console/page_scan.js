// SPDX-License-Identifier: Apache-2.0
// page_scan.js: personal information hiding where it is not declared: the vault's
// plain-text columns (GET /v1/scan/vault) or a CSV file chosen here (POST /v1/scan, the
// file as the body): per column, how many rows hold which kind, and the schema change the
// library suggests; never a value.
import * as api from './api.js';
import { t } from './i18n.js';
import { errorBox, h } from './ui.js';

const state = { result: null, error: null, busy: false };

async function run(app, fn) {
	state.busy = true;
	state.error = null;
	app.draw();
	try {
		state.result = await fn();
	} catch (e) {
		state.result = null;
		state.error = e;
	}
	state.busy = false;
	app.draw();
}

function columns(r) {
	return h('table', { id: 'scan-columns' },
		h('thead', {}, h('tr', {}, ['column', 'declaredAs', 'rowsWith', 'kinds', 'suggestion']
			.map((k) => h('th', {}, t(k))))),
		h('tbody', {}, (r.columns || []).map((c) => h('tr', { 'data-column': c.name },
			h('td', {}, c.name), h('td', {}, c.declared || '—'), h('td', {}, String(c.rows)),
			h('td', {}, Object.entries(c.with || {}).map(([k, n]) => k + ' ' + n).join(', ')),
			h('td', {}, c.suggestion || '')))));
}

function render(main, app) {
	const file = h('input', { type: 'file', id: 'scan-file', accept: '.csv,text/csv' });
	const r = state.result;
	main.append(h('div', {}, h('section', { class: 'card' },
		h('h1', {}, t('scanTitle')), h('p', {}, t('scanHelp')),
		h('div', { class: 'actions' },
			h('button', { type: 'button', id: 'scan-vault', disabled: state.busy,
				onclick: () => run(app, () => api.call('GET', '/v1/scan/vault')) },
			t('scanVault'))),
		h('div', { class: 'row' }, h('label', { class: 'field' }, h('span', {}, t('scanFile')),
			file),
		h('div', { class: 'actions' }, h('button', { type: 'button', id: 'scan-upload',
			disabled: state.busy, onclick: () => {
				if (file.files[0])
					run(app, async () => api.call('POST', '/v1/scan',
						{ raw: await file.files[0].text(), type: 'text/csv' }));
			} }, t('scanFileButton')))),
		state.error ? errorBox(state.error) : null,
		r ? h('p', {}, r.customers !== undefined ? t('scannedCustomers', { n: r.customers })
			: t('scannedRows', { n: r.rows })) : null,
		r ? columns(r) : null)));
}

function reset() {
	Object.assign(state, { result: null, error: null, busy: false });
}

export default { id: 'scan', nav: 'navScan', render, reset };
